//! Convex and non-convex regions for the `convex` set, and the digital convexity test.

use super::rng::{below, geometric_trials, unit, SampleRng};
use super::{PIXELS, SIDE};

/// A 28×28 binary image, row-major.
pub type Mask = [bool; PIXELS];

/// Geometric parameter of the number of half-planes of a convex-class region.
pub const CONVEX_HALF_PLANE_P: f64 = 0.195;
/// Smallest convex-class region, in pixels.
pub const CONVEX_MIN_PIXELS: usize = 19;
/// Geometric parameter of the number of half-planes of each part of a non-convex image.
pub const PART_HALF_PLANE_P: f64 = 0.07;
/// Smallest part of a non-convex image, in pixels.
pub const PART_MIN_PIXELS: usize = 10;
/// Fewest parts of a non-convex image.
pub const MIN_PARTS: usize = 2;
/// Most parts of a non-convex image.
pub const MAX_PARTS: usize = 4;

/// Number of lit pixels.
pub fn count(mask: &Mask) -> usize {
    mask.iter().filter(|&&b| b).count()
}

/// Intersects `mask` with one random half-plane and returns the number of pixels left: anchor (x, y)
/// with x = −0.5 + 28·unit(), y = −0.5 + 28·unit() (uniform over the image's area; pixel (r, c) has
/// centre x = c, y = r), orientation φ = 2π·unit(); pixel (r, c) stays lit iff
/// (c − x) cos φ + (r − y) sin φ ≥ 0 (evaluated in f64 exactly in this form).
pub fn intersect_half_plane(rng: &mut SampleRng, mask: &mut Mask) -> usize {
    let x = -0.5 + SIDE as f64 * unit(rng);
    let y = -0.5 + SIDE as f64 * unit(rng);
    let (sin, cos) = (std::f64::consts::TAU * unit(rng)).sin_cos();
    let mut along = [0.0f64; SIDE];
    for (c, a) in along.iter_mut().enumerate() {
        *a = (c as f64 - x) * cos;
    }
    for (r, row) in mask.chunks_exact_mut(SIDE).enumerate() {
        let across = (r as f64 - y) * sin;
        for (m, &a) in row.iter_mut().zip(&along) {
            *m &= a + across >= 0.0;
        }
    }
    count(mask)
}

/// A convex region with at least `min_pixels` pixels: k = `geometric_trials(p)` half-planes
/// ([`intersect_half_plane`]) intersected with the full image; if the region has fewer than
/// `min_pixels` pixels (checked after every half-plane, stopping early since it can only shrink),
/// k and the half-planes are drawn again.
pub fn sample_region(rng: &mut SampleRng, p: f64, min_pixels: usize) -> Mask {
    loop {
        let k = geometric_trials(rng, p);
        let mut mask = [true; PIXELS];
        let mut big_enough = true;
        for _ in 0..k {
            if intersect_half_plane(rng, &mut mask) < min_pixels {
                big_enough = false;
                break;
            }
        }
        if big_enough {
            return mask;
        }
    }
}

/// The convex class: one [`sample_region`] with p = 0.195 and at least 19 pixels.
pub fn sample_convex(rng: &mut SampleRng) -> Mask {
    sample_region(rng, CONVEX_HALF_PLANE_P, CONVEX_MIN_PIXELS)
}

/// Half-width of the pixel-count window of [`sample_non_convex_matched`]: max(5, 10 % of the target).
pub fn count_tolerance(target: usize) -> usize {
    (target / 10).max(5)
}

/// The non-convex class, unmatched: m = 2 + `below(3)` parts (2 to 4), each a [`sample_region`] with
/// p = 0.07 and at least 10 pixels, united; if the union passes [`is_digitally_convex`], m and the parts
/// are drawn again.
pub fn sample_non_convex(rng: &mut SampleRng) -> Mask {
    loop {
        if let Some(mask) = non_convex_candidate(rng, 0..=PIXELS) {
            return mask;
        }
    }
}

/// One candidate of the non-convex class: m = 2 + `below(3)` parts, each a [`sample_region`] with
/// p = 0.07 and at least 10 pixels, united. `None` (abandoned, no further draws) as soon as the union
/// has more pixels than `window.end()` (it can only grow), or if after all parts its count is below
/// `window.start()`, or if it passes [`is_digitally_convex`].
pub fn non_convex_candidate(rng: &mut SampleRng, window: std::ops::RangeInclusive<usize>) -> Option<Mask> {
    let parts = MIN_PARTS + below(rng, (MAX_PARTS - MIN_PARTS + 1) as u64) as usize;
    let mut mask = [false; PIXELS];
    for _ in 0..parts {
        let part = sample_region(rng, PART_HALF_PLANE_P, PART_MIN_PIXELS);
        for (m, p) in mask.iter_mut().zip(part) {
            *m |= p;
        }
        if count(&mask) > *window.end() {
            return None;
        }
    }
    (count(&mask) >= *window.start() && !is_digitally_convex(&mask)).then_some(mask)
}

/// The non-convex class with the pixel-count distribution of the convex class: first a convex
/// "twin" is drawn ([`sample_convex`]) and its lit-pixel count t noted; then candidates
/// ([`non_convex_candidate`] with window t ± [`count_tolerance`]`(t)`) are drawn from the same stream
/// until one is kept.
///
/// Unmatched ([`sample_non_convex`]), the non-convex unions are much larger (mean ≈ 469 pixels
/// against ≈ 276 for the convex class), so pixel count alone would separate the classes.
pub fn sample_non_convex_matched(rng: &mut SampleRng) -> Mask {
    let target = count(&sample_convex(rng));
    let tol = count_tolerance(target);
    let window = target.saturating_sub(tol)..=target + tol;
    loop {
        if let Some(mask) = non_convex_candidate(rng, window.clone()) {
            return mask;
        }
    }
}

fn cross(o: (i64, i64), a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// Convex hull of lattice points (Andrew's monotone chain, exact integer arithmetic), vertices in
/// counter-clockwise order of the (x, y) plane without collinear points; a segment gives its two
/// ends, a point itself.
fn hull(mut points: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    points.sort_unstable();
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let mut h: Vec<(i64, i64)> = Vec::with_capacity(2 * points.len());
    for pass in 0..2 {
        let start = h.len();
        let iter: Box<dyn Iterator<Item = &(i64, i64)>> =
            if pass == 0 { Box::new(points.iter()) } else { Box::new(points.iter().rev()) };
        for &p in iter {
            while h.len() >= start + 2 && cross(h[h.len() - 2], h[h.len() - 1], p) <= 0 {
                h.pop();
            }
            h.push(p);
        }
        h.pop();
    }
    h
}

/// Digital convexity: a pixel set S is convex iff S = Z² ∩ conv(S), i.e. every pixel whose centre
/// lies in the convex hull of the lit pixel centres (boundary included) is lit. Exact: integer
/// cross products only. The empty set and single pixels are convex.
///
/// Any rasterised intersection of half-planes (pixel lit iff its centre lies in a convex set K) passes:
/// conv(S) ⊆ K, so every pixel centre in conv(S) is in K and therefore lit. Equivalently, for every
/// pair of lit pixels, every lattice point on the segment between their centres is lit *and* so is
/// every lattice point inside any triangle of lit centres.
pub fn is_digitally_convex(mask: &Mask) -> bool {
    let lit: Vec<(i64, i64)> =
        (0..PIXELS).filter(|&i| mask[i]).map(|i| ((i % SIDE) as i64, (i / SIDE) as i64)).collect();
    let h = hull(lit);
    let inside = |p: (i64, i64)| -> bool {
        match h.len() {
            0 => false,
            1 => p == h[0],
            2 => {
                cross(h[0], h[1], p) == 0
                    && (h[0].0.min(h[1].0)..=h[0].0.max(h[1].0)).contains(&p.0)
                    && (h[0].1.min(h[1].1)..=h[0].1.max(h[1].1)).contains(&p.1)
            }
            n => (0..n).all(|i| cross(h[i], h[(i + 1) % n], p) >= 0),
        }
    };
    (0..PIXELS).filter(|&i| !mask[i]).all(|i| !inside(((i % SIDE) as i64, (i / SIDE) as i64)))
}

/// Writes a mask as 1 (lit) and 0.
///
/// # Panics
/// If `out` is not 784 long.
pub fn draw_mask(mask: &Mask, out: &mut [f32]) {
    assert_eq!(out.len(), PIXELS, "draw_mask: out must be 28×28");
    for (o, &m) in out.iter_mut().zip(mask) {
        *o = if m { 1.0 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::{stream, Stream};

    fn shape(pixels: &[(usize, usize)]) -> Mask {
        let mut m = [false; PIXELS];
        for &(r, c) in pixels {
            m[r * SIDE + c] = true;
        }
        m
    }

    fn filled(top: usize, left: usize, h: usize, w: usize) -> Vec<(usize, usize)> {
        (top..top + h).flat_map(|r| (left..left + w).map(move |c| (r, c))).collect()
    }

    #[test]
    fn hand_made_convex_shapes() {
        assert!(is_digitally_convex(&[false; PIXELS]), "empty");
        assert!(is_digitally_convex(&[true; PIXELS]), "full image");
        assert!(is_digitally_convex(&shape(&[(4, 4)])), "single pixel");
        assert!(is_digitally_convex(&shape(&[(4, 4), (4, 5)])), "adjacent pair");
        assert!(is_digitally_convex(&shape(&[(0, 0), (1, 1), (2, 2)])), "diagonal line");
        assert!(is_digitally_convex(&shape(&[(0, 0), (1, 2)])), "knight's move: no lattice point between");
        assert!(is_digitally_convex(&shape(&filled(3, 5, 6, 9))), "filled rectangle");
        // A rasterised disc of radius 6.
        let disc: Vec<_> = (0..SIDE)
            .flat_map(|r| (0..SIDE).map(move |c| (r, c)))
            .filter(|&(r, c)| (r as f64 - 13.0).powi(2) + (c as f64 - 12.0).powi(2) <= 36.0)
            .collect();
        assert!(is_digitally_convex(&shape(&disc)), "disc");
        // A triangle: below the diagonal of a square.
        let tri: Vec<_> = filled(0, 0, 10, 10).into_iter().filter(|&(r, c)| c <= r).collect();
        assert!(is_digitally_convex(&shape(&tri)), "triangle");
    }

    #[test]
    fn hand_made_non_convex_shapes() {
        assert!(!is_digitally_convex(&shape(&[(4, 4), (4, 6)])), "pair with a gap");
        assert!(!is_digitally_convex(&shape(&[(0, 0), (2, 2)])), "diagonal with a gap");
        let mut l = filled(0, 0, 8, 2);
        l.extend(filled(6, 2, 2, 6));
        assert!(!is_digitally_convex(&shape(&l)), "L");
        let mut ring = filled(5, 5, 6, 6);
        ring.retain(|&(r, c)| r == 5 || r == 10 || c == 5 || c == 10);
        assert!(!is_digitally_convex(&shape(&ring)), "outline of a square");
        let mut two = filled(0, 0, 3, 3);
        two.extend(filled(20, 20, 3, 3));
        assert!(!is_digitally_convex(&shape(&two)), "two squares");
        // A filled square with one interior pixel missing.
        let mut holed = filled(3, 3, 5, 5);
        holed.retain(|&p| p != (5, 5));
        assert!(!is_digitally_convex(&shape(&holed)), "hole");
        // Triangle with a notch on its hypotenuse.
        let mut notched: Vec<_> = filled(0, 0, 10, 10).into_iter().filter(|&(r, c)| c <= r).collect();
        notched.retain(|&p| p != (5, 5));
        assert!(!is_digitally_convex(&shape(&notched)), "notched triangle");
    }

    #[test]
    fn every_rasterised_intersection_of_half_planes_is_convex() {
        for i in 0..500 {
            let mut rng = stream(11, 0, i, Stream::Shape);
            let mut mask = [true; PIXELS];
            for _ in 0..1 + i % 7 {
                intersect_half_plane(&mut rng, &mut mask);
            }
            assert!(is_digitally_convex(&mask), "sample {i}");
        }
    }

    #[test]
    fn classes_meet_their_definitions() {
        for i in 0..200 {
            let c = sample_convex(&mut stream(12, 0, i, Stream::Shape));
            assert!(count(&c) >= CONVEX_MIN_PIXELS);
            assert!(is_digitally_convex(&c));
            let n = sample_non_convex(&mut stream(12, 1, i, Stream::Shape));
            assert!(count(&n) >= 2 * PART_MIN_PIXELS);
            assert!(!is_digitally_convex(&n));
            let mut rng = stream(12, 2, i, Stream::Shape);
            let target = count(&sample_convex(&mut rng.clone()));
            let m = sample_non_convex_matched(&mut rng);
            assert!(count(&m).abs_diff(target) <= count_tolerance(target), "matched count");
            assert!(!is_digitally_convex(&m));
        }
    }
}

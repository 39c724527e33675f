//! Rotation of a 28×28 image about its centre with bilinear interpolation.

use super::{PIXELS, SIDE};

/// Rotates `src` (28×28, row-major) counter-clockwise *as displayed* (row 0 at the top) by `angle`
/// radians about the image centre (13.5, 13.5) and writes the result to `dst`.
///
/// Each output pixel centre (r, c) is mapped back by the inverse rotation to the source position
/// x = 13.5 + (c − 13.5) cos θ − (r − 13.5) sin θ, y = 13.5 + (c − 13.5) sin θ + (r − 13.5) cos θ
/// (x along columns, y along rows) and read by bilinear interpolation among the four surrounding
/// pixels, pixels outside the image counting as 0. The result is clamped to [0, 1]. A rotation by
/// 0 is the identity exactly; a rotation by π/2 maps `dst[r][c] = src[c][27 − r]` up to rounding.
///
/// # Panics
/// If `src` or `dst` is not 784 long.
pub fn rotate_bilinear(src: &[f32], angle: f64, dst: &mut [f32]) {
    assert_eq!(src.len(), PIXELS, "rotate_bilinear: src must be 28×28");
    assert_eq!(dst.len(), PIXELS, "rotate_bilinear: dst must be 28×28");
    let (sin, cos) = angle.sin_cos();
    let centre = (SIDE as f64 - 1.0) / 2.0;
    let at = |r: i64, c: i64| -> f64 {
        if (0..SIDE as i64).contains(&r) && (0..SIDE as i64).contains(&c) {
            f64::from(src[r as usize * SIDE + c as usize])
        } else {
            0.0
        }
    };
    for r in 0..SIDE {
        let dy = r as f64 - centre;
        for c in 0..SIDE {
            let dx = c as f64 - centre;
            let x = centre + (dx * cos - dy * sin);
            let y = centre + (dx * sin + dy * cos);
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (c0, r0) = (x0 as i64, y0 as i64);
            let v = (1.0 - fy) * ((1.0 - fx) * at(r0, c0) + fx * at(r0, c0 + 1))
                + fy * ((1.0 - fx) * at(r0 + 1, c0) + fx * at(r0 + 1, c0 + 1));
            dst[r * SIDE + c] = v.clamp(0.0, 1.0) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::{stream, unit, Stream};

    fn random_image() -> Vec<f32> {
        let mut rng = stream(3, 0, 0, Stream::Background);
        (0..PIXELS).map(|_| unit(&mut rng) as f32).collect()
    }

    #[test]
    fn rotation_by_zero_is_identity() {
        let src = random_image();
        let mut dst = vec![0.0; PIXELS];
        rotate_bilinear(&src, 0.0, &mut dst);
        assert_eq!(src, dst);
    }

    #[test]
    fn quarter_turn_matches_manual_rotation() {
        let src = random_image();
        let mut dst = vec![0.0; PIXELS];
        rotate_bilinear(&src, std::f64::consts::FRAC_PI_2, &mut dst);
        for r in 0..SIDE {
            for c in 0..SIDE {
                // Counter-clockwise on screen: the top-right corner moves to the top-left.
                let want = src[c * SIDE + (SIDE - 1 - r)];
                let got = dst[r * SIDE + c];
                assert!((want - got).abs() < 1e-5, "({r},{c}): {got} vs {want}");
            }
        }
    }

    #[test]
    fn four_quarter_turns_and_full_turn_return_the_image() {
        let src = random_image();
        let mut dst = vec![0.0; PIXELS];
        rotate_bilinear(&src, std::f64::consts::TAU, &mut dst);
        for (a, b) in src.iter().zip(&dst) {
            assert!((a - b).abs() < 1e-5);
        }
    }

    #[test]
    fn values_stay_in_unit_interval() {
        let src = random_image();
        let mut dst = vec![0.0; PIXELS];
        for k in 0..16 {
            rotate_bilinear(&src, k as f64 * 0.37, &mut dst);
            assert!(dst.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }
}

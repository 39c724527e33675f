//! Axis-aligned rectangles: the `rectangles` and `rectangles-image` shapes.

use super::rng::{below, SampleRng};
use super::SIDE;

/// The smallest side length drawn (pixels, outline included).
pub const MIN_SIDE: usize = 1;
/// The largest side length drawn: the image side.
pub const MAX_SIDE: usize = SIDE;
/// Height and width must differ by at least this many pixels.
pub const MIN_SIDE_DIFFERENCE: usize = 3;

/// A rectangle of whole pixels: rows `top..top + height`, columns `left..left + width`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rectangle {
    /// First row.
    pub top: usize,
    /// First column.
    pub left: usize,
    /// Number of rows.
    pub height: usize,
    /// Number of columns.
    pub width: usize,
}

impl Rectangle {
    /// Draws a rectangle: height then width, each uniform on `MIN_SIDE..=MAX_SIDE` (1..=28), the pair
    /// redrawn until |height − width| ≥ 3; then top uniform on `0..=28 − height` and left uniform on
    /// `0..=28 − width`, so that the whole rectangle lies inside the image.
    pub fn sample(rng: &mut SampleRng) -> Self {
        let span = (MAX_SIDE - MIN_SIDE + 1) as u64;
        let (height, width) = loop {
            let h = MIN_SIDE + below(rng, span) as usize;
            let w = MIN_SIDE + below(rng, span) as usize;
            if h.abs_diff(w) >= MIN_SIDE_DIFFERENCE {
                break (h, w);
            }
        };
        let top = below(rng, (SIDE - height + 1) as u64) as usize;
        let left = below(rng, (SIDE - width + 1) as u64) as usize;
        Self { top, left, height, width }
    }

    /// The class: 1 if taller than wide, else 0 (sides never tie).
    pub fn label(&self) -> u8 {
        u8::from(self.height > self.width)
    }

    /// Whether pixel (r, c) lies inside the rectangle (outline included).
    pub fn contains(&self, r: usize, c: usize) -> bool {
        (self.top..self.top + self.height).contains(&r) && (self.left..self.left + self.width).contains(&c)
    }

    /// Whether pixel (r, c) lies on the 1-pixel outline: inside, and in the first or last row or
    /// column of the rectangle.
    pub fn on_outline(&self, r: usize, c: usize) -> bool {
        self.contains(r, c)
            && (r == self.top
                || r == self.top + self.height - 1
                || c == self.left
                || c == self.left + self.width - 1)
    }

    /// Writes the outline as 1 on a 0 background (the `rectangles` image).
    ///
    /// # Panics
    /// If `out` is not 784 long.
    pub fn draw_outline(&self, out: &mut [f32]) {
        assert_eq!(out.len(), SIDE * SIDE, "draw_outline: out must be 28×28");
        for r in 0..SIDE {
            for c in 0..SIDE {
                out[r * SIDE + c] = if self.on_outline(r, c) { 1.0 } else { 0.0 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::{stream, Stream};

    #[test]
    fn sampled_rectangles_fit_and_differ_in_sides() {
        for i in 0..2000 {
            let rect = Rectangle::sample(&mut stream(5, 0, i, Stream::Shape));
            assert!(rect.height.abs_diff(rect.width) >= MIN_SIDE_DIFFERENCE);
            assert!(rect.height >= MIN_SIDE && rect.width >= MIN_SIDE);
            assert!(rect.top + rect.height <= SIDE && rect.left + rect.width <= SIDE);
        }
    }

    #[test]
    fn outline_of_a_hand_made_rectangle() {
        let rect = Rectangle { top: 2, left: 3, height: 4, width: 7 };
        let mut img = vec![0.0; SIDE * SIDE];
        rect.draw_outline(&mut img);
        // 2·7 + 2·(4 − 2) = 18 outline pixels.
        assert_eq!(img.iter().filter(|&&v| v == 1.0).count(), 18);
        assert_eq!(img[2 * SIDE + 3], 1.0);
        assert_eq!(img[5 * SIDE + 9], 1.0);
        assert_eq!(img[3 * SIDE + 4], 0.0, "interior stays dark");
        assert_eq!(rect.label(), 0);
    }
}

//! PNG output: one encoder for every picture the workspace draws (benchmark previews, the CLI's
//! sample grids, filters, histograms and heat maps), written atomically ([`crate::write_atomic`]).

use crate::error::{DataError, Result};
use std::path::Path;

/// Pixel layout of [`write_png`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngColor {
    /// One byte per pixel (grey level).
    Grey,
    /// Three bytes per pixel (red, green, blue).
    Rgb,
}

impl PngColor {
    /// Bytes per pixel.
    pub const fn channels(self) -> usize {
        match self {
            PngColor::Grey => 1,
            PngColor::Rgb => 3,
        }
    }
}

/// Write an 8-bit PNG of `width × height` pixels (row-major, [`PngColor::channels`] bytes each)
/// atomically: the file appears whole under `path` or not at all (a failed write leaves an
/// existing file untouched).
///
/// # Errors
/// [`DataError::BadShape`] for an empty picture, one too large for a PNG, or a pixel buffer of
/// another length than `width × height × channels`; [`DataError::Io`] naming the file.
pub fn write_png(
    path: impl AsRef<Path>,
    width: usize,
    height: usize,
    color: PngColor,
    pixels: &[u8],
) -> Result<()> {
    let path = path.as_ref();
    let shape = || vec![height, width, color.channels()];
    let expected = width.checked_mul(height).and_then(|p| p.checked_mul(color.channels()));
    if expected != Some(pixels.len()) || width == 0 || height == 0 {
        return Err(DataError::BadShape {
            path: path.to_path_buf(),
            shape: shape(),
            reason: "a picture needs at least one pixel and height × width × channels bytes of pixels",
        });
    }
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(DataError::BadShape {
            path: path.to_path_buf(),
            shape: shape(),
            reason: "too large for a PNG",
        });
    };
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(match color {
            PngColor::Grey => png::ColorType::Grayscale,
            PngColor::Rgb => png::ColorType::Rgb,
        });
        enc.set_depth(png::BitDepth::Eight);
        let png_err = |e: png::EncodingError| DataError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(pixels).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    crate::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_round_trip_and_bad_buffers_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        let px: Vec<u8> = (0..2 * 3 * 3).map(|i| (i * 13) as u8).collect();
        write_png(&p, 3, 2, PngColor::Rgb, &px).unwrap();
        let mut dec =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap())).read_info().unwrap();
        let mut buf = vec![0; dec.output_buffer_size().unwrap()];
        let info = dec.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height, info.color_type), (3, 2, png::ColorType::Rgb));
        assert_eq!(&buf[..px.len()], &px[..]);
        let before = std::fs::read(&p).unwrap();
        for (w, h, c, n) in
            [(3, 2, PngColor::Grey, 5), (0, 2, PngColor::Grey, 0), (usize::MAX, 2, PngColor::Rgb, 6)]
        {
            assert!(
                matches!(write_png(&p, w, h, c, &vec![0; n]), Err(DataError::BadShape { .. })),
                "{w}x{h}"
            );
        }
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}

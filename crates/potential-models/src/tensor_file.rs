//! Reading the workspace's safetensors files: one reader ([`TensorFile`]) and one error type
//! ([`FormatError`]) for model files, CSAE files, detector files and training checkpoints
//! (README, *File formats*).

use crate::FormatError;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

/// A safetensors file opened for reading: its `__metadata__` strings by key and its tensors by
/// name, each F32 tensor checked for dtype, shape and finite values, every failure a typed
/// [`FormatError`] naming the key or tensor.
///
/// ```
/// use potential_models::{safetensors_f32_bytes, FormatError, TensorFile};
/// use std::collections::BTreeMap;
///
/// let meta = BTreeMap::from([("format", "example".to_owned())]);
/// let tensors = BTreeMap::from([("w".to_owned(), (vec![2, 2], &[1.0f32, 2.0, 3.0, 4.0][..]))]);
/// let bytes = safetensors_f32_bytes(&meta, &tensors);
/// let file = TensorFile::parse(&bytes)?;
/// file.expect_format("example")?;
/// assert_eq!(file.f32_shaped("w", &[2, 2])?, [1.0, 2.0, 3.0, 4.0]);
/// assert!(matches!(file.f32_shaped("w", &[4]), Err(FormatError::WrongShape { .. })));
/// assert!(matches!(file.f32("b"), Err(FormatError::MissingTensor { .. })));
/// # Ok::<(), FormatError>(())
/// ```
pub struct TensorFile<'a> {
    st: SafeTensors<'a>,
    metadata: HashMap<String, String>,
}

impl std::fmt::Debug for TensorFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TensorFile")
            .field("tensors", &self.names())
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl<'a> TensorFile<'a> {
    /// Parse the header of `bytes` (the tensor data stay borrowed).
    ///
    /// # Errors
    /// [`FormatError::Corrupt`] for bytes that are not a safetensors file (truncated, garbage, an
    /// inconsistent header).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let st = SafeTensors::deserialize(bytes).map_err(FormatError::Corrupt)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(FormatError::Corrupt)?;
        // Copied into a std map: safetensors' own map type depends on its `std` feature.
        let metadata = header.metadata().iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok(Self { st, metadata })
    }

    /// Every `__metadata__` entry.
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// The metadata value of `key`.
    ///
    /// # Errors
    /// [`FormatError::MissingMetadata`].
    pub fn meta(&self, key: &'static str) -> Result<&str, FormatError> {
        self.metadata.get(key).map(String::as_str).ok_or(FormatError::MissingMetadata { key })
    }

    /// The metadata value of `key`, if present.
    pub fn meta_opt(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// Check that `__metadata__.format` is `expected`.
    ///
    /// # Errors
    /// [`FormatError::MissingMetadata`], or [`FormatError::UnknownFormat`] with the format found.
    pub fn expect_format(&self, expected: &'static str) -> Result<(), FormatError> {
        let found = self.meta("format")?;
        if found == expected {
            Ok(())
        } else {
            Err(FormatError::UnknownFormat { expected, found: found.to_owned() })
        }
    }

    /// The tensor names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names = self.st.names();
        names.sort_unstable();
        names
    }

    /// Whether a tensor `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.st.len()
    }

    /// Whether the file holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.st.len() == 0
    }

    /// Check that every tensor name is one `known` accepts.
    ///
    /// # Errors
    /// [`FormatError::UnexpectedTensor`] naming the first other one (in sorted order).
    pub fn check_names(&self, known: impl Fn(&str) -> bool) -> Result<(), FormatError> {
        match self.names().into_iter().find(|n| !known(n)) {
            Some(name) => Err(FormatError::UnexpectedTensor { tensor: name.to_owned() }),
            None => Ok(()),
        }
    }

    fn view(&self, name: &str) -> Result<TensorView<'a>, FormatError> {
        self.st.tensor(name).map_err(|_| FormatError::MissingTensor { tensor: name.to_owned() })
    }

    /// The tensor `name`, which must have dtype `dtype` (named `expected` in the error).
    fn typed(&self, name: &str, dtype: Dtype, expected: &'static str) -> Result<TensorView<'a>, FormatError> {
        let view = self.view(name)?;
        if view.dtype() != dtype {
            let found = format!("{:?}", view.dtype());
            return Err(FormatError::WrongDtype { tensor: name.to_owned(), expected, found });
        }
        Ok(view)
    }

    /// The shape of tensor `name` (any dtype).
    ///
    /// # Errors
    /// [`FormatError::MissingTensor`].
    pub fn shape(&self, name: &str) -> Result<Vec<usize>, FormatError> {
        Ok(self.view(name)?.shape().to_vec())
    }

    /// The F32 tensor `name`: its shape and row-major values, all finite.
    ///
    /// # Errors
    /// [`FormatError::MissingTensor`], [`FormatError::WrongDtype`], [`FormatError::NonFinite`]
    /// naming the first non-finite value.
    pub fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), FormatError> {
        let view = self.typed(name, Dtype::F32, "F32")?;
        let data: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if let Some(index) = data.iter().position(|v| !v.is_finite()) {
            return Err(FormatError::NonFinite { tensor: name.to_owned(), index, value: data[index] });
        }
        Ok((view.shape().to_vec(), data))
    }

    /// The F32 tensor `name` of shape `shape` (as [`TensorFile::f32`]).
    ///
    /// # Errors
    /// As [`TensorFile::f32`]; [`FormatError::WrongShape`].
    pub fn f32_shaped(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, FormatError> {
        let (found, data) = self.f32(name)?;
        if found != shape {
            return Err(FormatError::WrongShape { tensor: name.to_owned(), expected: shape.to_vec(), found });
        }
        Ok(data)
    }

    /// The U8 tensor `name` of shape `shape`.
    ///
    /// # Errors
    /// [`FormatError::MissingTensor`], [`FormatError::WrongDtype`], [`FormatError::WrongShape`].
    pub fn u8_shaped(&self, name: &str, shape: &[usize]) -> Result<Vec<u8>, FormatError> {
        let view = self.typed(name, Dtype::U8, "U8")?;
        if view.shape() != shape {
            let found = view.shape().to_vec();
            return Err(FormatError::WrongShape { tensor: name.to_owned(), expected: shape.to_vec(), found });
        }
        Ok(view.data().to_vec())
    }
}

/// Read a whole model, detector, CSAE or checkpoint file, refusing anything but a regular file: a
/// device such as `/dev/zero` or a pipe would be read without end (a safetensors file is parsed
/// from one buffer, so its size must be known).
///
/// # Errors
/// The I/O error; for a pipe, device, socket or directory an [`std::io::ErrorKind::InvalidInput`]
/// error saying what the path is.
pub fn read_regular_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let t = std::fs::metadata(path)?.file_type();
    if !t.is_file() {
        let kind = if t.is_dir() {
            "a directory"
        } else if is_fifo(t) {
            "a FIFO (named pipe or process substitution)"
        } else {
            "a device or special file"
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{kind}, not a regular file (model files are read from regular files only)"),
        ));
    }
    std::fs::read(path)
}

#[cfg(unix)]
fn is_fifo(t: std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&t)
}

#[cfg(not(unix))]
fn is_fifo(_: std::fs::FileType) -> bool {
    false
}

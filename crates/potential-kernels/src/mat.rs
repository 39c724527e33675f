//! Strided, shape-checked matrix views.

/// Index of the last element a `rows × cols` view with strides `(rs, cs)` touches, plus one.
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    }
}

/// A slice whose length is not `rows × cols` (or a product that overflows `usize`): the error of
/// [`MatRef::try_from_row_major`] and [`MatMut::try_from_row_major`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// Elements in the slice.
    pub len: usize,
    /// Rows asked for.
    pub rows: usize,
    /// Columns asked for.
    pub cols: usize,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} elements cannot be viewed as {}×{}", self.len, self.rows, self.cols)
    }
}

impl std::error::Error for ShapeError {}

/// `Ok` when `len` is exactly `rows × cols` (checked, no overflow).
fn check_row_major(len: usize, rows: usize, cols: usize) -> Result<(), ShapeError> {
    match rows.checked_mul(cols) {
        Some(n) if n == len => Ok(()),
        _ => Err(ShapeError { len, rows, cols }),
    }
}

/// An immutable `rows × cols` view into an `f32` slice: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major (C order) view of `data` as `rows × cols`, for shapes known to be right; use
    /// [`MatRef::try_from_row_major`] for shapes that come from outside.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn from_row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::try_from_row_major(data, rows, cols).unwrap_or_else(|e| panic!("MatRef::from_row_major: {e}"))
    }

    /// A row-major (C order) view of `data` as `rows × cols`.
    ///
    /// # Errors
    /// [`ShapeError`] when `data.len() != rows * cols` (or the product overflows).
    pub fn try_from_row_major(data: &'a [f32], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        check_row_major(data.len(), rows, cols)?;
        Ok(Self::from_strided(data, rows, cols, cols, 1))
    }

    /// A view with explicit row stride `rs` and column stride `cs` (in elements).
    ///
    /// # Panics
    /// If the view would reach past the end of `data`.
    pub fn from_strided(data: &'a [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        let ext = extent(rows, cols, rs, cs);
        assert!(
            ext <= data.len(),
            "MatRef::from_strided: {rows}×{cols} with strides ({rs}, {cs}) needs {ext} elements, slice has {}",
            data.len()
        );
        Self { data, rows, cols, rs, cs }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Row stride in elements.
    pub fn row_stride(&self) -> usize {
        self.rs
    }
    /// Column stride in elements.
    pub fn col_stride(&self) -> usize {
        self.cs
    }
    /// The underlying slice (starting at element `(0, 0)`).
    pub fn as_slice(&self) -> &'a [f32] {
        self.data
    }

    /// The transpose, as a view (no copy).
    pub fn t(self) -> Self {
        Self { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    pub fn get(&self, i: usize, j: usize) -> f32 {
        assert!(
            i < self.rows && j < self.cols,
            "MatRef::get: ({i}, {j}) outside {}×{}",
            self.rows,
            self.cols
        );
        self.data[i * self.rs + j * self.cs]
    }

    /// Row `i` as a contiguous slice, if the column stride is 1.
    pub fn row(&self, i: usize) -> Option<&'a [f32]> {
        if self.cs == 1 && i < self.rows {
            let start = i * self.rs;
            Some(&self.data[start..start + self.cols])
        } else {
            None
        }
    }

    /// The sub-view of rows `r0..r0+nr` and columns `c0..c0+nc`.
    ///
    /// # Panics
    /// If the block does not fit inside the view.
    pub fn submatrix(self, r0: usize, c0: usize, nr: usize, nc: usize) -> Self {
        assert!(
            r0 + nr <= self.rows && c0 + nc <= self.cols,
            "MatRef::submatrix: block ({r0}, {c0}) + {nr}×{nc} outside {}×{}",
            self.rows,
            self.cols
        );
        if nr == 0 || nc == 0 {
            return Self { data: &self.data[..0], rows: nr, cols: nc, rs: self.rs, cs: self.cs };
        }
        let start = r0 * self.rs + c0 * self.cs;
        Self::from_strided(&self.data[start..], nr, nc, self.rs, self.cs)
    }
}

/// A mutable `rows × cols` view into an `f32` slice: element `(i, j)` is `data[i·rs + j·cs]`.
///
/// The strides must not alias distinct elements onto one another (checked on construction for the
/// common layouts: `rs ≥ cols·cs` or `cs ≥ rows·rs`).
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatMut<'a> {
    /// A row-major (C order) mutable view of `data` as `rows × cols`, for shapes known to be right;
    /// use [`MatMut::try_from_row_major`] for shapes that come from outside.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn from_row_major(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        if let Err(e) = check_row_major(data.len(), rows, cols) {
            panic!("MatMut::from_row_major: {e}");
        }
        Self::from_strided(data, rows, cols, cols, 1)
    }

    /// A row-major (C order) mutable view of `data` as `rows × cols`.
    ///
    /// # Errors
    /// [`ShapeError`] when `data.len() != rows * cols` (or the product overflows).
    pub fn try_from_row_major(data: &'a mut [f32], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        check_row_major(data.len(), rows, cols)?;
        Ok(Self::from_strided(data, rows, cols, cols, 1))
    }

    /// A mutable view with explicit strides.
    ///
    /// # Panics
    /// If the view reaches past the end of `data`, or if the strides make two elements alias.
    pub fn from_strided(data: &'a mut [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        let ext = extent(rows, cols, rs, cs);
        assert!(
            ext <= data.len(),
            "MatMut::from_strided: {rows}×{cols} with strides ({rs}, {cs}) needs {ext} elements, slice has {}",
            data.len()
        );
        let no_alias = rows <= 1 && (cols <= 1 || cs >= 1)
            || cols <= 1 && rs >= 1
            || (cs >= 1 && rs >= cols * cs)
            || (rs >= 1 && cs >= rows * rs);
        assert!(
            no_alias,
            "MatMut::from_strided: strides ({rs}, {cs}) alias elements of a {rows}×{cols} view"
        );
        Self { data, rows, cols, rs, cs }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Row stride in elements.
    pub fn row_stride(&self) -> usize {
        self.rs
    }
    /// Column stride in elements.
    pub fn col_stride(&self) -> usize {
        self.cs
    }

    /// Reborrow as an immutable view.
    pub fn as_ref(&self) -> MatRef<'_> {
        MatRef { data: self.data, rows: self.rows, cols: self.cols, rs: self.rs, cs: self.cs }
    }

    /// Reborrow mutably with a shorter lifetime.
    pub fn rb_mut(&mut self) -> MatMut<'_> {
        MatMut { data: self.data, rows: self.rows, cols: self.cols, rs: self.rs, cs: self.cs }
    }

    /// The underlying slice (starting at element `(0, 0)`).
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        self.data
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.as_ref().get(i, j)
    }

    /// Set element `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    pub fn set(&mut self, i: usize, j: usize, v: f32) {
        assert!(
            i < self.rows && j < self.cols,
            "MatMut::set: ({i}, {j}) outside {}×{}",
            self.rows,
            self.cols
        );
        self.data[i * self.rs + j * self.cs] = v;
    }

    /// Row `i` as a contiguous mutable slice, if the column stride is 1.
    pub fn row_mut(&mut self, i: usize) -> Option<&mut [f32]> {
        if self.cs == 1 && i < self.rows {
            let start = i * self.rs;
            Some(&mut self.data[start..start + self.cols])
        } else {
            None
        }
    }

    /// Split into rows `0..at` and `at..rows` (two disjoint mutable views).
    ///
    /// # Panics
    /// If `at > rows`, or if the view is not row-major-like (`rs ≥ cols·cs`), since only then are the
    /// two halves disjoint slices.
    pub fn split_rows_at(self, at: usize) -> (MatMut<'a>, MatMut<'a>) {
        assert!(at <= self.rows, "MatMut::split_rows_at: {at} > {} rows", self.rows);
        assert!(
            self.rows <= 1 || self.rs >= self.cols * self.cs,
            "MatMut::split_rows_at: needs row-major-like strides"
        );
        let (rs, cs, cols, rows) = (self.rs, self.cs, self.cols, self.rows);
        let mid = (at * rs).min(self.data.len());
        let (a, b) = self.data.split_at_mut(mid);
        (MatMut { data: a, rows: at, cols, rs, cs }, MatMut { data: b, rows: rows - at, cols, rs, cs })
    }
}

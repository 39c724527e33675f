//! Memory estimates of a run and of a selection, worked by hand on small shapes, and `None`
//! (never a wrapped figure) where the arithmetic overflows.

use potential_csae::{CsaeConfig, FactoredConfig, FactoredGrid, FinetuneConfig, Grid};
use potential_train::TrainConfig;

fn plain(hidden: usize) -> CsaeConfig {
    CsaeConfig {
        hidden,
        pretrain: Some(TrainConfig { batch_size: 5, ..TrainConfig::default() }),
        finetune: FinetuneConfig { batch_size: 6, ..FinetuneConfig::default() },
        ..CsaeConfig::default()
    }
}

/// 3 classes of 10 inputs, 4 hidden units, 100 rows, 2 classes pretrained at once: a class model is
/// (40 + 4 + 10)·4 = 216 bytes; pretraining holds the 3 models (648) and 2 trainers of
/// 6·216 + 5·14·16 + 100·8 = 3216 each → 7080; finetuning 5·648 + 3·6·(2·4 + 2)·4 + 800 = 4760.
/// A selection over hidden ∈ {2, 4} adds the kept best candidate's 3 models at the largest size.
#[test]
fn plain_run_and_selection_bytes_by_hand() {
    assert_eq!(plain(4).training_bytes(3, 10, 100, 2), Some(7080));
    // More concurrent trainers than classes count as one per class.
    assert_eq!(plain(4).training_bytes(3, 10, 100, 64), Some(648 + 3 * 3216));
    let grid = Grid { hidden: vec![2, 4], learning_rate: vec![0.1], weight_decay: vec![0.0] };
    assert_eq!(grid.selection_bytes(&plain(2), 3, 10, 100, 2), Some(7080 + 648));
    // An empty hidden list means the base configuration's size.
    let grid = Grid { hidden: vec![], ..grid };
    assert_eq!(grid.selection_bytes(&plain(4), 3, 10, 100, 2), Some(7080 + 648));
    let huge = Grid { hidden: vec![usize::MAX], ..grid };
    assert_eq!(huge.selection_bytes(&plain(4), 3, 10, 100, 2), None);
}

fn factored() -> FactoredConfig {
    FactoredConfig {
        factors: 3,
        hidden: 2,
        pretrain: Some(TrainConfig { batch_size: 5, ..TrainConfig::default() }),
        finetune: FinetuneConfig { batch_size: 6, ..FinetuneConfig::default() },
        ..FactoredConfig::default()
    }
}

/// The grid's largest model takes the most factors and the most hidden units (4 and 5): (10 + 5)·4
/// shared + 3·(4 + 5 + 10 + 1) per class = 120 parameters; a run holds 5 copies and the step's
/// 6·(4 + 3·(4 + 2·5 + 2)) floats, ·4 bytes, plus 8 bytes a row → 4448; the kept best candidate adds
/// 120·4 bytes.
#[test]
fn factored_largest_and_selection_bytes_by_hand() {
    let grid = FactoredGrid {
        factors: vec![3, 4],
        hidden: vec![5, 2],
        learning_rate: vec![0.1],
        weight_decay: vec![0.0],
    };
    let largest = grid.largest(&factored());
    assert_eq!((largest.factors, largest.hidden), (4, 5));
    assert_eq!(largest.training_bytes(3, 10, 100), Some(4448));
    assert_eq!(grid.selection_bytes(&factored(), 3, 10, 100), Some(4448 + 480));
    let base_only = FactoredGrid { factors: vec![], hidden: vec![], ..grid.clone() };
    let l = base_only.largest(&factored());
    assert_eq!((l.factors, l.hidden), (3, 2));
    let huge = FactoredGrid { factors: vec![usize::MAX], ..grid };
    assert_eq!(huge.selection_bytes(&factored(), 3, 10, 100), None);
}

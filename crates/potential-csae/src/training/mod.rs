//! The training core shared by the plain and the factored CSAE: the update rules
//! ([`optim`]), the discriminative loss and the energy's visible term ([`loss`]), seeded
//! minibatches and the checks on training data ([`batch`]), the one finetuning loop with early
//! stopping and the choice of the best validation epoch ([`epochs`], over the [`epochs::Finetunable`]
//! trait), and the one selection routine of Sec. 4.4 ([`select`], over the [`select::Protocol`]
//! trait).

pub(crate) mod batch;
pub(crate) mod epochs;
pub(crate) mod loss;
pub(crate) mod optim;
pub(crate) mod select;

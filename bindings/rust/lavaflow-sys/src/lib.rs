//! Raw declarations of lavaflow's C API: every function, struct and constant of the stable
//! headers (`lavaflow/lavaflow.h`), and of `lavaflow/lavaflow_mpi.h` with the `mpi` feature.
//!
//! Generated from the headers by `generate.py` (the test command checks that they match), so
//! they cannot drift by hand; `tests/layout.rs` compares every struct's size and every field's
//! offset with the C compiler's. Everything here is `unsafe` to call and follows
//! docs/c-api.md: opaque handles, `lf_status_t` results (`LF_OK` is 0, errors are negative,
//! `lf_last_error_message()` says why), params structs whose `field_mask` names the fields
//! set, output structs whose `struct_size` the caller sets. Not bound: `experimental.h` and
//! `extension.h` (see UNBOUND).
//!
//! With the `mpi` feature, `MPI_Comm` is Open MPI's handle (a pointer); with another MPI, use
//! `lf_mpi_attach_f` and the communicator's Fortran handle. No Rust MPI crate is available
//! here, so those declarations are layout-checked but not called from Rust.
#![allow(non_camel_case_types, non_upper_case_globals, clippy::upper_case_acronyms)]

use std::os::raw::{c_char, c_int, c_void};

/// A member's offset in a struct (`core::mem::offset_of!` came with Rust 1.77; this builds
/// with Debian 12's 1.63): the address of the member of an uninitialised value, which is
/// never read.
macro_rules! offset_of {
    ($type:ty, $member:ident) => {{
        let value = core::mem::MaybeUninit::<$type>::uninit();
        let base = value.as_ptr();
        // SAFETY: addr_of! computes the address without reading or creating a reference.
        let member = unsafe { core::ptr::addr_of!((*base).$member) };
        member as usize - base as usize
    }};
}

/// Open MPI's communicator handle (`MPI_Comm` is `struct ompi_communicator_t *`).
#[cfg(feature = "mpi")]
pub type MPI_Comm = *mut c_void;

include!("generated.rs");

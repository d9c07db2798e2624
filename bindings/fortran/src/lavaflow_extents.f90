! Whether a pointer array of a given rank, element kind and extents fits the bytes lavaflow
! lends (a message, a buffer, a claimed slot): the one check behind every pointer view.
module lavaflow_extents
  use, intrinsic :: iso_c_binding
  use lavaflow_arrays, only: lf_element_kind
  implicit none
  private
  public :: lf_extents_fit, lf_extents_text

contains

  !> Can a pointer array of `rank` and `element` view `nbytes` bytes (all of them when `exact`)?
  !> With `extents`, those (one per dimension, >= 0); without, a rank-1 array of every whole
  !> element (or a scalar). On success extents_of(1:rank) holds the extents; on failure `why`
  !> says what did not fit.
  logical function lf_extents_fit(rank, element, nbytes, extents, exact, extents_of, why) result(fits)
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    integer(c_int64_t), intent(in) :: nbytes
    integer, intent(in), optional :: extents(:)
    logical, intent(in) :: exact
    integer, intent(out) :: extents_of(:)
    character(len=:), allocatable, intent(out) :: why
    integer(c_int64_t) :: needed
    character(len=24) :: have
    fits = .false.
    extents_of = 0
    why = ""
    write (have, '(i0)') nbytes
    if (present(extents)) then
      if (size(extents) /= rank) then
        why = "extents has " // count_text(size(extents)) // " values for a pointer array of rank " // count_text(rank)
        return
      end if
      if (any(extents < 0)) then
        why = "extents " // lf_extents_text(extents) // " has a negative extent"
        return
      end if
      needed = product(int(extents, c_int64_t)) * element%bytes
      if (needed > nbytes .or. (exact .and. needed /= nbytes)) then
        why = "extents " // lf_extents_text(extents) // " of " // count_text(element%bytes) // "-byte elements make " // &
              count_text64(needed) // " bytes, and there are " // trim(have)
        return
      end if
      extents_of(1:rank) = extents
    else if (rank == 0) then
      if (nbytes < element%bytes .or. (exact .and. nbytes /= element%bytes)) then
        why = "a scalar of " // count_text(element%bytes) // " bytes does not fit " // trim(have) // " bytes"
        return
      end if
    else if (rank == 1) then
      if (mod(nbytes, int(element%bytes, c_int64_t)) /= 0 .and. exact) then
        why = trim(have) // " bytes are not a whole number of " // count_text(element%bytes) // "-byte elements"
        return
      end if
      if (nbytes / element%bytes > huge(0)) then
        why = trim(have) // " bytes are more elements than a default integer extent holds: pass extents"
        return
      end if
      extents_of(1) = int(nbytes / element%bytes)
    else
      why = "a pointer array of rank " // count_text(rank) // " needs extents"
      return
    end if
    fits = .true.
  end function lf_extents_fit

  !> "[8,6,4]"
  function lf_extents_text(extents) result(text)
    integer, intent(in) :: extents(:)
    character(len=:), allocatable :: text
    integer :: n
    text = "["
    do n = 1, size(extents)
      if (n > 1) text = text // ","
      text = text // count_text(extents(n))
    end do
    text = text // "]"
  end function lf_extents_text

  function count_text(value) result(text)
    integer, intent(in) :: value
    character(len=:), allocatable :: text
    text = count_text64(int(value, c_int64_t))
  end function count_text

  function count_text64(value) result(text)
    integer(c_int64_t), intent(in) :: value
    character(len=:), allocatable :: text
    character(len=24) :: digits
    write (digits, '(i0)') value
    text = trim(digits)
  end function count_text64

end module lavaflow_extents

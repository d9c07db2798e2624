! Whether a pointer array of a given rank, element kind and extents fits the bytes lavaflow
! lends (a message, a buffer, a claimed slot): the one check behind every pointer view. It runs
! on every zero-copy call, so it is plain arithmetic; the words of a refusal are made apart
! (lf_extents_misfit), only when one happens.
module lavaflow_extents
  use, intrinsic :: iso_c_binding
  use lavaflow_arrays, only: lf_element_kind
  implicit none
  private
  public :: lf_extents_fit, lf_extents_misfit, lf_extents_text

  integer, parameter :: max_rank = 8

contains

  !> Can a pointer array of `rank` and `element` view `nbytes` bytes (all of them when `exact`)?
  !> With `extents`, those (one per dimension, >= 0); without, a rank-1 array of every whole
  !> element (or a scalar). When it can, extents_of(1:rank) holds the extents.
  logical function lf_extents_fit(rank, element, nbytes, extents, exact, extents_of) result(fits)
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    integer(c_int64_t), intent(in) :: nbytes
    integer, intent(in), optional :: extents(:)
    logical, intent(in) :: exact
    integer, intent(inout) :: extents_of(max_rank)
    integer(c_int64_t) :: needed
    integer :: n
    fits = .false.
    if (present(extents)) then
      if (size(extents) /= rank .or. rank > max_rank) return
      needed = element%bytes
      do n = 1, rank
        if (extents(n) < 0) return
        if (extents(n) > 0) then
          if (needed > huge(needed) / extents(n)) return
        end if
        needed = needed * extents(n)
        extents_of(n) = extents(n)
      end do
      if (needed > nbytes .or. (exact .and. needed /= nbytes)) return
    else if (rank == 0) then
      if (nbytes < element%bytes .or. (exact .and. nbytes /= element%bytes)) return
    else if (rank == 1) then
      if (exact .and. mod(nbytes, int(element%bytes, c_int64_t)) /= 0) return
      if (nbytes / element%bytes > huge(0)) return
      extents_of(1) = int(nbytes / element%bytes)
    else
      return
    end if
    fits = .true.
  end function lf_extents_fit

  !> Why lf_extents_fit() said no, in words.
  function lf_extents_misfit(rank, element, nbytes, extents, exact) result(why)
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    integer(c_int64_t), intent(in) :: nbytes
    integer, intent(in), optional :: extents(:)
    logical, intent(in) :: exact
    character(len=:), allocatable :: why
    real :: needed
    if (present(extents)) then
      if (size(extents) /= rank) then
        why = "extents has " // count_text(size(extents)) // " values for a pointer array of rank " // count_text(rank)
      else if (any(extents < 0)) then
        why = "extents " // lf_extents_text(extents) // " has a negative extent"
      else
        needed = product(real(extents)) * element%bytes
        if (needed > 9.0e18) then
          why = "extents " // lf_extents_text(extents) // " make more bytes than anything holds"
        else
          why = "extents " // lf_extents_text(extents) // " of " // count_text(element%bytes) // "-byte elements make " // &
                count_text64(product(int(extents, c_int64_t)) * element%bytes) // " bytes, and there are " // &
                count_text64(nbytes)
        end if
      end if
    else if (rank == 0) then
      why = "a scalar of " // count_text(element%bytes) // " bytes does not fit " // count_text64(nbytes) // " bytes"
    else if (rank == 1 .and. exact .and. mod(nbytes, int(element%bytes, c_int64_t)) /= 0) then
      why = count_text64(nbytes) // " bytes are not a whole number of " // count_text(element%bytes) // "-byte elements"
    else if (rank == 1) then
      why = count_text64(nbytes) // " bytes are more elements than a default integer extent holds: pass extents"
    else
      why = "a pointer array of rank " // count_text(rank) // " needs extents"
    end if
  end function lf_extents_misfit

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

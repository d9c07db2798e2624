! tensor_producer (Fortran): publishes frames of a 1024 x 1024 real(4) grid to a tensor-pool
! stream, as examples/tensor_producer.c does, from a Fortran array: column-major, with its
! shape in each frame's header, so the C tensor_consumer (or numpy, order="F") reads element
! (r, c) where the Fortran code wrote grid(r + 1, c + 1). Element (r, c) of frame n is
! n + r * 0.001 + c * 0.000001 (r, c from 0, as tensor_consumer checks).
!   tensor_producer_f [STREAM [FRAMES [INTERVAL_MS]]]     (defaults: 1, 100, 10)
program tensor_producer_f
  use, intrinsic :: iso_fortran_env, only: real32
  use lavaflow
  implicit none
  integer, parameter :: rows = 1024, cols = 1024
  type(lf_context) :: context
  type(lf_pool_producer) :: producer
  real(real32), allocatable :: grid(:, :)
  integer :: stream, frames, interval_ms, n, r, c

  stream = argument(1, 1)
  frames = argument(2, 100)
  interval_ms = argument(3, 10)
  allocate (grid(rows, cols))
  call context%create(name="fortran-tensor-producer")
  ! The stream's driver runs already (tensor_consumer, or `lavaflow driver`): attach to it, with
  ! the "frames" profile whose pool holds 4 MiB frames.
  call producer%attach(context, stream, start_driver=.false., profile="frames", connect_timeout_ms=10000)
  call producer%set_metadata(name="fortran frames", units="a.u.")
  do n = 0, frames - 1
    do c = 0, cols - 1
      do r = 0, rows - 1
        grid(r + 1, c + 1) = real(n, real32) + real(r, real32) * 0.001 + real(c, real32) * 0.000001
      end do
    end do
    call producer%publish(grid)
    if (interval_ms > 0) call sleep_ms(interval_ms)
  end do
  print '(a, i0, a, i0, a)', "tensor_producer_f: published ", frames, " frames of 1024x1024 real(4) to stream ", stream, &
    " (column-major)"
  call producer%detach()
  call context%destroy()

contains

  integer function argument(position, default)
    integer, intent(in) :: position, default
    character(len=32) :: text
    argument = default
    if (command_argument_count() >= position) then
      call get_command_argument(position, text)
      read (text, *) argument
    end if
  end function argument

  subroutine sleep_ms(milliseconds)
    integer, intent(in) :: milliseconds
    interface
      integer(c_int) function usleep(microseconds) bind(C, name="usleep")
        import :: c_int, c_int32_t
        integer(c_int32_t), value :: microseconds
      end function usleep
    end interface
    if (usleep(int(milliseconds, c_int32_t) * 1000_c_int32_t) /= 0) return  ! (interrupted: fine)
  end subroutine sleep_ms

end program tensor_producer_f

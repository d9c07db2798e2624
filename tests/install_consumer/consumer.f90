! An outside Fortran program using the installed module lavaflow: an array through a channel.
program consumer_f
  use, intrinsic :: iso_fortran_env, only: real64
  use lavaflow
  implicit none
  type(lf_context) :: context
  type(lf_channel) :: consumer, producer
  real(real64) :: sent(3, 4), received(3, 4)
  character(len=48) :: name
  call context%create()
  write (name, '(a, i0)') "fortran-install-consumer-", getpid()
  call consumer%create(context, trim(name))
  call producer%open(context, trim(name))
  sent = 42
  call producer%send(sent)
  call consumer%recv(received)
  print '(a, a, a, f4.1)', "consumer.f90: lavaflow ", lf_version_string(), ", received ", received(3, 4)
  call producer%destroy()
  call consumer%destroy()
  call context%destroy()
end program consumer_f

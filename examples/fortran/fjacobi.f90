! fjacobi: Jacobi relaxation of a heat plate with halo exchange, in Fortran
! with `use pvm` (examples/jacobi.c is the C version, split by rows). The
! N x N plate's top edge is held at 100 degrees, the others at 0; each
! iteration replaces every interior point by the mean of its neighbours.
! Fortran stores arrays by columns, so here the plate is split in blocks of
! columns: the halo a task swaps with its left and right neighbours is a
! column, contiguous in memory. Every `every` iterations pvmfreduce (PvmMax)
! brings the largest change to task 0; at the end task 0 gathers the plate
! and compares it with a serial Jacobi of the same size and iterations.
! Usage: fjacobi [ntasks [N [iterations [every]]]]   (default 4 64 500 100)
program fjacobi
  use pvm
  implicit none
  integer, parameter :: TAG_LEFT = 1, TAG_RIGHT = 2, TAG_RESID = 3
  integer, parameter :: TAG_COLS = 4, TAG_SETUP = 10, MAXTASKS = 64
  character(len=*), parameter :: GROUP = 'fjacobi'
  integer :: mytid, parent, me, i, it, numt, bufid, info, r
  integer :: p(4), n, nn, iters, every, lo, hi, cols, left, right
  integer :: tids(MAXTASKS)
  real(8), allocatable :: u(:, :), v(:, :), plate(:, :), s(:, :), s2(:, :)
  real(8), allocatable :: buf(:)
  real(8) :: res(1), maxdiff
  logical :: ok
  character(len=256) :: self
  character(len=32) :: arg

  call pvmfmytid(mytid)
  if (mytid < 0) then
    call pvmfperror('fjacobi')
    stop 1
  end if
  call pvmfparent(parent)
  if (parent == PvmNoParent .or. parent == PvmParentNotSet) then
    p = [4, 64, 500, 100] ! ntasks, N, iterations, every
    do i = 1, min(4, command_argument_count())
      call get_command_argument(i, arg)
      read (arg, *) p(i)
    end do
    if (p(1) < 1 .or. p(1) > MAXTASKS .or. p(2) < p(1) .or. p(2) > 2000 &
        .or. p(3) < 1 .or. p(4) < 1) then
      print '(a)', 'usage: fjacobi [ntasks 1..64 [N [iterations [every]]]]'
      call pvmfexit()
      stop 2
    end if
    call pvmfjoingroup(GROUP, me) ! first to join: instance 0
    if (p(1) > 1) then
      call get_command_argument(0, self)
      call pvmfspawn(trim(self), PVMTASKDEFAULT, '*', p(1) - 1, tids, numt)
      if (numt /= p(1) - 1) then
        print '(a,i0,a,i0)', 'fjacobi: started ', max(numt, 0), ' of ', p(1) - 1
        call pvmfexit()
        stop 1
      end if
      call pvmfinitsend(PVMDATADEFAULT, bufid)
      call pvmfpack(INTEGER4, p, 4, 1)
      call pvmfmcast(p(1) - 1, tids, TAG_SETUP)
    end if
  else
    call pvmfrecv(parent, TAG_SETUP, bufid)
    call pvmfunpack(INTEGER4, p, 4, 1)
    call pvmfjoingroup(GROUP, me)
  end if
  n = p(1)
  nn = p(2)
  iters = p(3)
  every = p(4)
  call pvmfbarrier(GROUP, n, info)
  do i = 1, n
    call pvmfgettid(GROUP, i - 1, tids(i))
  end do
  if (me == 0) then ! where the tasks run: a tid names its host
    write (*, '(a,i0,a)', advance='no') 'fjacobi: ', n, ' tasks:'
    do i = 1, n
      write (*, '(a,z0)', advance='no') ' t', tids(i)
    end do
    write (*, '(a)') ''
  end if

  ! My columns are lo+1 .. hi of the plate; columns 0 and cols+1 of u are
  ! the halo (or the plate's left and right edges), rows 0 and N+1 its top
  ! and bottom edges.
  lo = int(int(me, 8) * nn / n)
  hi = int(int(me + 1, 8) * nn / n)
  cols = hi - lo
  allocate (u(0:nn + 1, 0:cols + 1), v(0:nn + 1, 0:cols + 1))
  u = 0
  u(0, :) = 100
  v = u
  left = 0
  right = 0
  if (me > 0) left = tids(me)
  if (me < n - 1) right = tids(me + 2)

  do it = 1, iters
    ! Halo exchange: sends first (they do not block), then receives.
    if (left /= 0) call send_col(left, TAG_LEFT, u(1:nn, 1))
    if (right /= 0) call send_col(right, TAG_RIGHT, u(1:nn, cols))
    if (left /= 0) then
      call pvmfrecv(left, TAG_RIGHT, bufid)
      call pvmfunpack(REAL8, u(1:nn, 0), nn, 1)
    end if
    if (right /= 0) then
      call pvmfrecv(right, TAG_LEFT, bufid)
      call pvmfunpack(REAL8, u(1:nn, cols + 1), nn, 1)
    end if
    call sweep(u, v, nn, cols, res(1))
    u(1:nn, 1:cols) = v(1:nn, 1:cols)
    if (mod(it, every) == 0 .or. it == iters) then
      call pvmfreduce(PvmMax, res, 1, REAL8, TAG_RESID, GROUP, 0, info)
      if (me == 0) print '(a,i4,a,es13.6)', 'fjacobi: iteration ', it, &
        ', residual ', res(1)
    end if
  end do

  ok = .true.
  if (me /= 0) then
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    ! pvmfpack takes a vector: the block's columns one after the other.
    buf = reshape(u(1:nn, 1:cols), [nn * cols])
    call pvmfpack(REAL8, buf, nn * cols, 1)
    call pvmfsend(tids(1), TAG_COLS)
    deallocate (buf)
  else
    ! Gather the plate, then relax it serially from the start.
    allocate (plate(0:nn + 1, 0:nn + 1), s(0:nn + 1, 0:nn + 1), &
              s2(0:nn + 1, 0:nn + 1))
    s = 0
    s(0, :) = 100
    s2 = s
    plate = s
    plate(1:nn, 1:cols) = u(1:nn, 1:cols)
    do r = 1, n - 1
      lo = int(int(r, 8) * nn / n)
      hi = int(int(r + 1, 8) * nn / n)
      call pvmfrecv(tids(r + 1), TAG_COLS, bufid)
      allocate (buf(nn * (hi - lo)))
      call pvmfunpack(REAL8, buf, nn * (hi - lo), 1)
      plate(1:nn, lo + 1:hi) = reshape(buf, [nn, hi - lo])
      deallocate (buf)
    end do
    do it = 1, iters
      call sweep(s, s2, nn, nn, res(1))
      s(1:nn, 1:nn) = s2(1:nn, 1:nn)
    end do
    maxdiff = maxval(abs(plate(1:nn, 1:nn) - s(1:nn, 1:nn)))
    ok = maxdiff < 1d-9
    print '(a,i0,a,i0,a,i0,a,f10.6,a,es9.2)', 'fjacobi: ', n, ' tasks, ', &
      nn, ' points square, ', iters, ' iterations; centre ', &
      plate(nn / 2, nn / 2 + 1), '; max difference from serial ', maxdiff
    if (ok) then
      print '(a,i0,a,i0,a)', 'fjacobi: ', n, ' tasks, ', iters, &
        ' iterations, same as serial within 1e-9: OK'
    else
      print '(a)', 'fjacobi: differs from the serial Jacobi: WRONG'
    end if
    deallocate (plate, s, s2)
  end if
  ! Arrays of the main program are not freed at its end: free them here.
  deallocate (u, v)
  call pvmfbarrier(GROUP, n, info)
  call pvmflvgroup(GROUP)
  call pvmfexit()
  if (.not. ok) stop 1

contains

  ! One sweep over rows 1..nn, columns 1..cols of u into v; res is the
  ! largest change.
  subroutine sweep(u, v, nn, cols, res)
    integer, intent(in) :: nn, cols
    real(8), intent(in) :: u(0:nn + 1, 0:cols + 1)
    real(8), intent(inout) :: v(0:nn + 1, 0:cols + 1)
    real(8), intent(out) :: res
    integer :: i, j
    res = 0
    do j = 1, cols
      do i = 1, nn
        v(i, j) = 0.25d0 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1))
        res = max(res, abs(v(i, j) - u(i, j)))
      end do
    end do
  end subroutine sweep

  subroutine send_col(tid, tag, col)
    integer, intent(in) :: tid, tag
    real(8), intent(in) :: col(:)
    integer :: bufid
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    call pvmfpack(REAL8, col, size(col), 1)
    call pvmfsend(tid, tag)
  end subroutine send_col

end program fjacobi

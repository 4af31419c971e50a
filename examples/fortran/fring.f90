! fring: an SPMD token ring in modern Fortran with `use pvm`. The copy
! started by hand spawns the others and tells everyone the ring's order;
! a token goes round `laps` times, each task adding one as it passes.
! Usage: fring [ntasks [laps]]   (default 4 3)
program fring
  use pvm
  implicit none
  integer, parameter :: TAG_SETUP = 10, TAG_TOKEN = 11, MAXTASKS = 64
  integer :: mytid, parent, n, laps, me, i, numt, bufid, token, info
  integer :: tids(MAXTASKS)
  character(len=256) :: self
  character(len=32) :: arg

  call pvmfmytid(mytid)
  if (mytid < 0) then
    call pvmfperror('fring')
    stop 1
  end if
  call pvmfparent(parent)

  if (parent == PvmNoParent .or. parent == PvmParentNotSet) then
    ! The leader: ring size and laps from the command line.
    n = 4
    laps = 3
    if (command_argument_count() >= 1) then
      call get_command_argument(1, arg)
      read (arg, *) n
    end if
    if (command_argument_count() >= 2) then
      call get_command_argument(2, arg)
      read (arg, *) laps
    end if
    if (n < 1 .or. n > MAXTASKS .or. laps < 1) then
      print '(a)', 'usage: fring [ntasks 1..64 [laps >= 1]]'
      call pvmfexit()
      stop 2
    end if
    call get_command_argument(0, self)
    tids(1) = mytid
    if (n > 1) then
      call pvmfspawn(trim(self), PVMTASKDEFAULT, '*', n - 1, tids(2:n), numt)
      if (numt /= n - 1) then
        print '(a,i0,a,i0)', 'fring: started ', max(numt, 0), ' of ', n - 1
        call pvmfexit()
        stop 1
      end if
    end if
    write (*, '(a,i0,a)', advance='no') 'ring of ', n, ' tasks:'
    do i = 1, n
      write (*, '(a,z0)', advance='no') ' t', tids(i)
    end do
    write (*, '(a)') ''
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    call pvmfpack(INTEGER4, n, 1, 1)
    call pvmfpack(INTEGER4, laps, 1, 1)
    call pvmfpack(INTEGER4, tids, n, 1)
    if (n > 1) call pvmfmcast(n - 1, tids(2:n), TAG_SETUP)
    me = 0
  else
    call pvmfrecv(parent, TAG_SETUP, bufid)
    call pvmfunpack(INTEGER4, n, 1, 1)
    call pvmfunpack(INTEGER4, laps, 1, 1)
    call pvmfunpack(INTEGER4, tids, n, 1, info)
    if (info < 0) then
      call pvmfperror('fring: setup')
      call pvmfexit()
      stop 1
    end if
    me = findloc(tids(1:n), mytid, dim=1) - 1
  end if

  token = pass_token(me, n, laps, tids)
  if (me == 0) then
    if (token == n * laps) then
      print '(a,i0,a,i0,a,i0,a)', 'fring: ', laps, ' laps of ', n, &
            ' tasks, token value ', token, ': OK'
    else
      print '(a,i0,a,i0)', 'fring: token value ', token, ', expected ', n * laps
    end if
  end if
  call pvmfexit()
  if (me == 0 .and. token /= n * laps) stop 1

contains

  ! Task 0 starts each lap and sees the token come back; the others
  ! receive it, add one and hand it on. Returns the final token at task 0.
  integer function pass_token(me, n, laps, tids) result(token)
    integer, intent(in) :: me, n, laps, tids(:)
    integer :: next, prev, lap, bufid, info

    next = tids(mod(me + 1, n) + 1)
    prev = tids(mod(me + n - 1, n) + 1)
    token = 0
    do lap = 1, laps
      if (me == 0) then
        call pvmfinitsend(PVMDATADEFAULT, bufid)
        call pvmfpack(INTEGER4, token, 1, 1)
        call pvmfsend(next, TAG_TOKEN)
      end if
      call pvmfrecv(prev, TAG_TOKEN, bufid)
      call pvmfunpack(INTEGER4, token, 1, 1, info)
      if (bufid < 0 .or. info < 0) then
        token = -1
        return
      end if
      token = token + 1
      if (me == 0) then
        print '(a,i0,a,z0,a,i0)', 'lap ', lap, ': the token is back at t', &
              tids(1), ' with value ', token
      else
        call pvmfinitsend(PVMDATADEFAULT, bufid)
        call pvmfpack(INTEGER4, token, 1, 1)
        call pvmfsend(next, TAG_TOKEN)
      end if
    end do
  end function pass_token
end program fring

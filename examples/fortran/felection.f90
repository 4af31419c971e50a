! felection: Chang-Roberts leader election in a ring, in Fortran with
! `use pvm` (examples/election.c has it in C, with Hirschberg-Sinclair).
! Every task sends its id to the right; a task passes on larger ids and
! swallows smaller ones; the task that gets its own id back is the leader
! and sends an announcement round the ring. Task 0 collects what each task
! learned and sent, and checks that all name the largest id.
! Fortran's pvmfspawn passes no arguments, so the copy started by hand
! sends the others the ring's size and ids; all then find each other
! through a group (instance numbers give the ring's order).
! Usage: felection [ntasks [seed]]   (default 8 1)
program felection
  use pvm
  implicit none
  integer, parameter :: TAG_ELECT = 1, TAG_LEADER = 4, TAG_REPORT = 5
  integer, parameter :: TAG_SETUP = 10, MAXTASKS = 64
  character(len=*), parameter :: GROUP = 'felection'
  integer :: mytid, parent, n, me, i, j, t, numt, bufid, info
  integer :: tids(MAXTASKS), ids(MAXTASKS), rep(4)
  integer :: leader, am_leader, sent_elect, sent_announce
  integer :: total_elect, total_announce, leaders, maxid
  integer(8) :: state
  logical :: ok
  character(len=256) :: self
  character(len=32) :: arg

  call pvmfmytid(mytid)
  if (mytid < 0) then
    call pvmfperror('felection')
    stop 1
  end if
  call pvmfparent(parent)

  if (parent == PvmNoParent .or. parent == PvmParentNotSet) then
    n = 8
    state = 1
    if (command_argument_count() >= 1) then
      call get_command_argument(1, arg)
      read (arg, *) n
    end if
    if (command_argument_count() >= 2) then
      call get_command_argument(2, arg)
      read (arg, *) state
    end if
    if (n < 2 .or. n > MAXTASKS .or. state < 1) then
      print '(a)', 'usage: felection [ntasks 2..64 [seed >= 1]]'
      call pvmfexit()
      stop 2
    end if
    ! The ids: a permutation of 100..100+n-1, shuffled with the Park-Miller
    ! generator (its products fit in 64 bits).
    do i = 1, n
      ids(i) = 99 + i
    end do
    do i = n, 2, -1
      state = mod(16807_8 * state, 2147483647_8)
      j = 1 + int(mod(state, int(i, 8)))
      t = ids(i)
      ids(i) = ids(j)
      ids(j) = t
    end do
    call pvmfjoingroup(GROUP, me) ! first to join: instance 0
    call get_command_argument(0, self)
    call pvmfspawn(trim(self), PVMTASKDEFAULT, '*', n - 1, tids, numt)
    if (numt /= n - 1) then
      print '(a,i0,a,i0)', 'felection: started ', max(numt, 0), ' of ', n - 1
      call pvmfexit()
      stop 1
    end if
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    call pvmfpack(INTEGER4, n, 1, 1)
    call pvmfpack(INTEGER4, ids, n, 1)
    call pvmfmcast(n - 1, tids, TAG_SETUP)
  else
    call pvmfrecv(parent, TAG_SETUP, bufid)
    call pvmfunpack(INTEGER4, n, 1, 1)
    if (n < 2 .or. n > MAXTASKS) stop 1
    call pvmfunpack(INTEGER4, ids, n, 1)
    call pvmfjoingroup(GROUP, me)
  end if
  ! Once all n have joined, the group gives the ring's order.
  call pvmfbarrier(GROUP, n, info)
  do i = 1, n
    call pvmfgettid(GROUP, i - 1, tids(i))
  end do
  if (me == 0) then
    write (*, '(a,i0,a)', advance='no') 'felection: ', n, ' tasks:'
    do i = 1, n
      write (*, '(a,z0)', advance='no') ' t', tids(i)
    end do
    write (*, '(a)') ''
  end if

  call chang_roberts(ids(me + 1), tids(mod(me + n - 1, n) + 1), &
                     tids(mod(me + 1, n) + 1), leader, am_leader, &
                     sent_elect, sent_announce)

  ! Everyone has decided: now the reports cannot mix with the election.
  call pvmfbarrier(GROUP, n, info)
  rep = [leader, am_leader, sent_elect, sent_announce]
  ok = .true.
  if (me /= 0) then
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    call pvmfpack(INTEGER4, rep, 4, 1)
    call pvmfsend(tids(1), TAG_REPORT)
  else
    maxid = maxval(ids(1:n))
    leaders = 0
    total_elect = 0
    total_announce = 0
    do i = 1, n
      if (i > 1) then
        call pvmfrecv(tids(i), TAG_REPORT, bufid)
        call pvmfunpack(INTEGER4, rep, 4, 1)
      end if
      print '(a,i2,a,i0,a,i0,a,i0,a,i0,a)', '  task ', i - 1, ' id ', ids(i), &
        ': leader ', rep(1), ', sent ', rep(3), ' election + ', rep(4), &
        ' announcement'
      if (rep(1) /= maxid .or. ((rep(2) /= 0) .neqv. (ids(i) == maxid))) &
        ok = .false.
      leaders = leaders + rep(2)
      total_elect = total_elect + rep(3)
      total_announce = total_announce + rep(4)
    end do
    if (leaders /= 1) ok = .false.
    print '(a,i0,a,i0,a,i0,a,i0)', 'felection: cr n=', n, ' messages: ', &
      total_elect, ' election + ', total_announce, ' announcement = ', &
      total_elect + total_announce
    if (ok) then
      print '(a,i0,a,i0,a)', 'felection: cr, ', n, ' tasks agree on leader ', &
        maxid, ', the largest id: OK'
    else
      print '(a,i0,a)', 'felection: the leader is not ', maxid, &
        ' everywhere: WRONG'
    end if
  end if
  call pvmfbarrier(GROUP, n, info)
  call pvmflvgroup(GROUP)
  call pvmfexit()
  if (.not. ok) stop 1

contains

  ! Chang-Roberts, as in election.c. Links are FIFO, so when a task has
  ! passed the announcement on, no election message is left for it.
  subroutine chang_roberts(myid, left, right, leader, am_leader, &
                           sent_elect, sent_announce)
    integer, intent(in) :: myid, left, right
    integer, intent(out) :: leader, am_leader, sent_elect, sent_announce
    integer :: bufid, bytes, tag, src, x, info

    am_leader = 0
    sent_elect = 1
    sent_announce = 0
    call send_int(right, TAG_ELECT, myid)
    do
      call pvmfrecv(left, -1, bufid)
      call pvmfbufinfo(bufid, bytes, tag, src, info)
      call pvmfunpack(INTEGER4, x, 1, 1)
      if (tag == TAG_ELECT) then
        if (x > myid) then ! a larger id: pass it on
          call send_int(right, TAG_ELECT, x)
          sent_elect = sent_elect + 1
        else if (x == myid) then ! mine came round: I am the leader
          am_leader = 1
          call send_int(right, TAG_LEADER, x)
          sent_announce = sent_announce + 1
        end if ! a smaller id: swallow it
      else if (tag == TAG_LEADER) then
        if (x /= myid) then
          call send_int(right, TAG_LEADER, x)
          sent_announce = sent_announce + 1
        end if
        leader = x
        return
      end if
    end do
  end subroutine chang_roberts

  subroutine send_int(tid, tag, v)
    integer, intent(in) :: tid, tag, v
    integer :: bufid
    call pvmfinitsend(PVMDATADEFAULT, bufid)
    call pvmfpack(INTEGER4, v, 1, 1)
    call pvmfsend(tid, tag)
  end subroutine send_int

end program felection

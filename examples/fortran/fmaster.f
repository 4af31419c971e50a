! fmaster: master/worker in fixed-form Fortran 77 style with fpvm3.h, as a
! PVM 3 user writes it. Spawns NW copies of fworker, gives each a slice of
! [2, LIMIT) and adds up their prime counts. Usage: fmaster [nworkers]
      program fmaster
      implicit none
      include 'fpvm3.h'
      integer MAXW, LIMIT, TAGJOB, TAGRES
      parameter (MAXW = 32, LIMIT = 1000000, TAGJOB = 1, TAGRES = 2)
      integer mytid, nw, numt, i, k, lo, hi, cnt, total, serial
      integer info, bufid, src, bytes, tag, who
      integer tids(MAXW), counts(MAXW)
      character*256 self, worker
      character*32 arg
      integer nprime
      external nprime

      nw = 4
      if (command_argument_count() .ge. 1) then
         call get_command_argument(1, arg)
         read (arg, *) nw
      endif
      if (nw .lt. 1 .or. nw .gt. MAXW) then
         print *, 'usage: fmaster [nworkers 1..32]'
         stop 2
      endif

! The worker lives beside this program when started by path.
      call get_command_argument(0, self)
      k = index(self, '/', .true.)
      if (k .gt. 0) then
         worker = self(1:k) // 'fworker'
      else
         worker = 'fworker'
      endif

      call pvmfmytid(mytid)
      if (mytid .lt. 0) then
         call pvmfperror('fmaster', info)
         stop 1
      endif
      call pvmfspawn(worker, PVMDEFAULT, '*', nw, tids, numt)
      if (numt .ne. nw) then
         write (*, '(a,i3,a,i3)') 'fmaster: started ', numt, ' of ', nw
         call pvmfexit(info)
         stop 1
      endif
      write (*, '(a,z5,a,i3,a,i8)') 'fmaster t', mytid, ':', nw,
     &     ' workers count the primes below', LIMIT

! Slice i of nw: [lo, hi).
      do 10 i = 1, nw
         lo = 2 + int((dble(LIMIT - 2) * (i - 1)) / nw)
         hi = 2 + int((dble(LIMIT - 2) * i) / nw)
         call pvmfinitsend(PVMDEFAULT, bufid)
         call pvmfpack(INTEGER4, i, 1, 1, info)
         call pvmfpack(INTEGER4, lo, 1, 1, info)
         call pvmfpack(INTEGER4, hi, 1, 1, info)
         call pvmfsend(tids(i), TAGJOB, info)
 10   continue

      total = 0
      do 20 k = 1, nw
         call pvmfrecv(-1, TAGRES, bufid)
         call pvmfbufinfo(bufid, bytes, tag, src, info)
         call pvmfunpack(INTEGER4, who, 1, 1, info)
         call pvmfunpack(INTEGER4, cnt, 1, 1, info)
         if (info .lt. 0 .or. who .lt. 1 .or. who .gt. nw) then
            print *, 'fmaster: bad result message'
            call pvmfexit(info)
            stop 1
         endif
         counts(who) = cnt
         total = total + cnt
 20   continue
      do 30 i = 1, nw
         write (*, '(a,i3,a,z5,a,i8,a)') '  worker', i - 1, '  t',
     &        tids(i), ': ', counts(i), ' primes'
 30   continue

      serial = nprime(2, LIMIT)
      if (total .eq. serial) then
         write (*, '(a,i6,a,i8,a,i6,a)') 'fmaster: total', total,
     &        ' primes below', LIMIT, ', serial count', serial, ': OK'
      else
         write (*, '(a,i6,a,i6,a)') 'fmaster: total', total,
     &        ', serial count', serial, ': MISMATCH'
      endif
      call pvmfexit(info)
      if (total .ne. serial) stop 1
      end

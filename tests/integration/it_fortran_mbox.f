! it_fortran_mbox: the mailbox from Fortran (fixed form, fpvm3.h), as a
! PVM 3 program calls it: pvmfputinfo, pvmfrecvinfo, pvmfdelinfo and
! pvmfgetmboxinfo, one entry per call until PvmNotFound.
      program itfmbx
      include 'fpvm3.h'
      integer mytid, bufid, info, idx, v, nclass, nent, ind, own, flg
      integer nbad, nseen, i
      character*32 nm
      character*16 want(3)
      integer wantix(3)
      data want /'fbox', 'fmul', 'fmul'/
      data wantix /0, 0, 1/

      nbad = 0
      call pvmfmytid(mytid)
      call pvmfsetopt(PVMAUTOERR, 0, info)
      call pvmfinitsend(PVMDEFAULT, bufid)
      call pvmfpack(INTEGER4, 42, 1, 1, info)
      call pvmfputinfo('fbox', bufid, PVMMBOXDEFAULT, idx)
      call check(idx, 0, 'put fbox', nbad)
      call pvmfputinfo('fmul', bufid, PVMMBOXMULTIINSTANCE, idx)
      call check(idx, 0, 'put fmul', nbad)
      call pvmfputinfo('fmul', bufid, PVMMBOXMULTIINSTANCE, idx)
      call check(idx, 1, 'put fmul again', nbad)
      call pvmfputinfo('gx', bufid, PVMMBOXPERSISTENT, idx)
      call check(idx, 0, 'put gx', nbad)
      call pvmfputinfo(' ', bufid, PVMMBOXDEFAULT, idx)
      call check(idx, PVMBADPARAM, 'put with a blank name', nbad)

      call pvmfrecvinfo('fbox', 0, PVMMBOXDEFAULT, bufid)
      v = 0
      call pvmfunpack(INTEGER4, v, 1, 1, info)
      call check(info, 0, 'unpack fbox', nbad)
      call check(v, 42, 'value of fbox', nbad)
      call pvmfrecvinfo('nope', 0, PVMMBOXDEFAULT, bufid)
      call check(bufid, PVMNOTFOUND, 'recv nope', nbad)

      nseen = 0
      info = 0
      do 20 i = 1, 10
        call pvmfgetmboxinfo('f*', nm, nclass, nent, ind, own, flg,
     &    info)
        if (info .eq. PVMNOTFOUND) goto 30
        call check(info, 0, 'getmboxinfo', nbad)
        nseen = nseen + 1
        if (nseen .gt. 3) goto 20
        if (nm .ne. want(nseen)) then
          print *, 'FAIL: getmboxinfo entry ', nseen, ' is ', nm
          nbad = nbad + 1
        endif
        call check(ind, wantix(nseen), 'getmboxinfo index', nbad)
        call check(own, mytid, 'getmboxinfo owner', nbad)
        call check(nclass, 2, 'getmboxinfo classes', nbad)
 20   continue
 30   call check(nseen, 3, 'getmboxinfo entries', nbad)

      call pvmfdelinfo('fbox', 0, PVMMBOXDEFAULT, info)
      call check(info, 0, 'del fbox', nbad)
      call pvmfdelinfo('fbox', 0, PVMMBOXDEFAULT, info)
      call check(info, PVMNOTFOUND, 'del fbox again', nbad)
      call pvmfdelinfo('fmul', 1, PVMMBOXDEFAULT, info)
      call check(info, 1, 'del fmul 1', nbad)
      call pvmfdelinfo('gx', 0, PVMMBOXDEFAULT, info)
      call check(info, 0, 'del gx', nbad)
      call pvmfexit(info)
      if (nbad .ne. 0) then
        print *, 'it_fortran_mbox: FAIL: ', nbad, ' checks failed'
        stop 1
      endif
      print '(a)', 'it_fortran_mbox: OK'
      end

      subroutine check(got, want, what, nbad)
      integer got, want, nbad
      character*(*) what
      if (got .ne. want) then
        print *, 'FAIL: ', what, ': ', got, ' expected ', want
        nbad = nbad + 1
      endif
      end

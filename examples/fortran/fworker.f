! fworker: the worker of fmaster (fixed form, fpvm3.h). Receives its slice
! [lo, hi) from the parent, counts the primes in it and sends back its
! index and the count (nprime.f does the counting).
      program fworker
      implicit none
      include 'fpvm3.h'
      integer TAGJOB, TAGRES
      parameter (TAGJOB = 1, TAGRES = 2)
      integer mytid, parent, bufid, info, who, lo, hi, cnt
      integer nprime
      external nprime

      call pvmfmytid(mytid)
      call pvmfparent(parent)
      if (parent .lt. 0) then
         print *, 'fworker: start fmaster instead'
         call pvmfexit(info)
         stop 1
      endif
      call pvmfrecv(parent, TAGJOB, bufid)
      call pvmfunpack(INTEGER4, who, 1, 1, info)
      call pvmfunpack(INTEGER4, lo, 1, 1, info)
      call pvmfunpack(INTEGER4, hi, 1, 1, info)
      cnt = nprime(lo, hi)
      call pvmfinitsend(PVMDEFAULT, bufid)
      call pvmfpack(INTEGER4, who, 1, 1, info)
      call pvmfpack(INTEGER4, cnt, 1, 1, info)
      call pvmfsend(parent, TAGRES, info)
      call pvmfexit(info)
      end

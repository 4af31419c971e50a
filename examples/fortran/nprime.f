! nprime: number of primes in [lo, hi), by trial division (the work the
! Fortran master/worker example shares out).
      integer function nprime(lo, hi)
      implicit none
      integer lo, hi, n, d
      logical prime
      nprime = 0
      do 20 n = max(lo, 2), hi - 1
         prime = .true.
         d = 2
 10      if (prime .and. d * d .le. n) then
            if (mod(n, d) .eq. 0) prime = .false.
            d = d + 1
            goto 10
         endif
         if (prime) nprime = nprime + 1
 20   continue
      end

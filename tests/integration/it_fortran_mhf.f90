! it_fortran_mhf: message handlers from Fortran (pvmfaddmhf, pvmfdelmhf).
! A handler is INTEGER FUNCTION H(MID): it runs inside a receive call for
! a message of its tag, with the message as the active receive buffer, and
! the message does not reach the receive calls. Two handlers with their
! own tags each get their own messages; a deleted handler's id is gone.
module it_fortran_mhf_state
  implicit none
  integer :: calls_a = 0, calls_b = 0, value_a = 0, value_b = 0
end module it_fortran_mhf_state

integer function handler_a(mid)
  use pvm
  use it_fortran_mhf_state
  implicit none
  integer :: mid, rbuf, info
  call pvmfgetrbuf(rbuf)
  calls_a = calls_a + 1
  value_a = -1
  if (rbuf == mid) call pvmfunpack(INTEGER4, value_a, 1, 1, info)
  handler_a = 0
end function handler_a

integer function handler_b(mid)
  use pvm
  use it_fortran_mhf_state
  implicit none
  integer :: mid, info, bytes, tag, src
  calls_b = calls_b + 1
  call pvmfbufinfo(mid, bytes, tag, src, info)
  if (tag == 11) call pvmfunpack(INTEGER4, value_b, 1, 1, info)
  handler_b = 0
end function handler_b

program it_fortran_mhf
  use pvm
  use it_fortran_mhf_state
  implicit none
  integer, parameter :: TAG_A = 10, TAG_B = 11, TAG_MARK = 12
  integer, external :: handler_a, handler_b
  integer :: mytid, ida, idb, info, bufid, k

  call pvmfmytid(mytid)
  if (mytid <= 0) call fail('pvmfmytid')
  call pvmfsetopt(PVMAUTOERR, 0, k)
  call pvmfaddmhf(-1, TAG_A, -1, handler_a, ida)
  call pvmfaddmhf(mytid, TAG_B, -1, handler_b, idb)
  if (ida <= 0 .or. idb <= 0 .or. ida == idb) call fail('handler ids')
  call pvmfaddmhf(-1, TAG_A, -1, handler_b, k)
  if (k /= PvmExists) call fail('an overlapping handler was accepted')

  call send_int(TAG_B, 22)
  call send_int(TAG_A, 11)
  call send_int(TAG_MARK, 0)
  call pvmfrecv(mytid, TAG_MARK, bufid)
  if (bufid <= 0) call fail('marker not received')
  if (calls_a /= 1 .or. value_a /= 11) call fail('handler A')
  if (calls_b /= 1 .or. value_b /= 22) call fail('handler B')
  call pvmfnrecv(-1, -1, bufid)
  if (bufid /= 0) call fail('a handled message reached pvmfnrecv')

  call pvmfdelmhf(ida, info)
  if (info /= 0) call fail('pvmfdelmhf')
  call pvmfdelmhf(ida, info)
  if (info /= PvmNotFound) call fail('second pvmfdelmhf')
  call send_int(TAG_A, 33)
  call send_int(TAG_MARK, 0)
  call pvmfrecv(mytid, TAG_MARK, bufid)
  if (calls_a /= 1) call fail('a deleted handler ran')
  call pvmfnrecv(mytid, TAG_A, bufid)
  if (bufid <= 0) call fail('message after pvmfdelmhf not queued')

  call pvmfexit(info)
  print '(a)', 'it_fortran_mhf: OK'

contains

  subroutine send_int(tag, v)
    integer, intent(in) :: tag, v
    integer :: b, i
    call pvmfinitsend(PVMDEFAULT, b)
    call pvmfpack(INTEGER4, v, 1, 1, i)
    call pvmfsend(mytid, tag, i)
    if (i < 0) call fail('pvmfsend')
  end subroutine send_int

  subroutine fail(what)
    character(*), intent(in) :: what
    integer :: i
    print '(2a)', 'it_fortran_mhf: FAIL: ', what
    call pvmfexit(i)
    stop 1
  end subroutine fail

end program it_fortran_mhf

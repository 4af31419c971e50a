! it_fortran_peer: the Fortran side of it_fortran_types, with `use pvm`
! (its generic pvmfpack/pvmfunpack take every type). Checks every typed
! value the C task sends, in both encodings, sends its own back, and checks
! a few pvmf* calls (tasks, config, options, siblings, groups) on the way.
program it_fortran_peer
  use pvm
  implicit none
  integer, parameter :: TAG_C2F = 100, TAG_F2C = 200, TAG_PSEND_C2F = 300
  integer, parameter :: TAG_PSEND_F2C = 301, TAG_DONE = 400
  integer, parameter :: i8 = selected_int_kind(18)
  integer, parameter :: i2 = selected_int_kind(4)
  integer, parameter :: i1 = selected_int_kind(2)
  ! The values both programs know (it_fortran_types.c has the same).
  integer, parameter :: ints(5) = [0, 1, -1, 2147483647, -2147483647 - 1]
  integer(i2), parameter :: shorts(3) = [-32767_i2 - 1_i2, 32767_i2, 12_i2]
  integer(i1), parameter :: bytes(4) = [-127_i1 - 1_i1, 127_i1, 0_i1, 65_i1]
  integer(i8), parameter :: longs(3) = [-2147483647_i8, 2147483647_i8, 77_i8]
  real, parameter :: floats(4) = [0.1, -2.5, 3.4e38, 1.17549435e-38]
  double precision, parameter :: doubles(4) = &
      [0.1d0, -2.5d0, 1.7d308, 2.2250738585072014d-308]
  complex, parameter :: cplx(2) = [(1.5, 2.25), (-0.1, -7.0)]
  complex(kind(1d0)), parameter :: dcplx(2) = &
      [(0.1d0, 0.2d0), (-1d300, 1d-300)]

  integer :: mytid, parent, bufid, info, k, gcode, failures
  integer :: bytes_, tag, src

  failures = 0
  call pvmfmytid(mytid)
  call pvmfparent(parent)
  if (mytid <= 0 .or. parent <= 0) then
    print '(a)', 'it_fortran_peer: FAIL: not spawned by it_fortran_types'
    stop 1
  end if
  call pvmfsetopt(PVMAUTOERR, 0, k)

  call pvmfrecv(parent, TAG_DONE, bufid)
  call pvmfunpack(INTEGER4, gcode, 1, 1, info)
  call check_api(gcode)

  do k = 0, 1
    call pvmfrecv(parent, -1, bufid)
    call pvmfbufinfo(bufid, bytes_, tag, src, info)
    call expect(info == 0 .and. src == parent .and. tag == TAG_C2F + k, &
                'message from the parent with tag TAG_C2F + encoding')
    call exchange(tag - TAG_C2F)
  end do

  call psend_precv()

  call pvmfinitsend(PVMDEFAULT, bufid)
  call pvmfpack(INTEGER4, failures, 1, 1, info)
  call pvmfsend(parent, TAG_DONE, info)
  call pvmfexit(info)

contains

  ! Bit-for-bit equality of real or complex arrays (values must arrive
  ! exactly as sent), by their 4-byte or 8-byte words.
  logical function same4(a, b)
    class(*), intent(in) :: a(:), b(:)
    same4 = all(words4(a) == words4(b))
  end function same4

  logical function same8(a, b)
    class(*), intent(in) :: a(:), b(:)
    same8 = all(words8(a) == words8(b))
  end function same8

  function words4(a) result(w)
    class(*), intent(in) :: a(:)
    integer, allocatable :: w(:)
    select type (a)
    type is (real)
      w = transfer(a, [0])
    type is (complex)
      w = transfer(a, [0])
    class default
      w = [-1]
    end select
  end function words4

  function words8(a) result(w)
    class(*), intent(in) :: a(:)
    integer(i8), allocatable :: w(:)
    select type (a)
    type is (double precision)
      w = transfer(a, [0_i8])
    type is (complex(kind(1d0)))
      w = transfer(a, [0_i8])
    class default
      w = [-1_i8]
    end select
  end function words8

  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (.not. ok) then
      failures = failures + 1
      print '(2a)', 'it_fortran_peer: FAIL: ', what
    end if
  end subroutine expect

  ! One round: C's values in encoding enc checked here, ours sent back.
  subroutine exchange(enc)
    integer, intent(in) :: enc
    integer :: i5(5), e, strided(8), mism, bufid, info, j
    integer(i2) :: s3(3)
    integer(i1) :: b4(4)
    integer(i8) :: l3(3)
    real :: f4(4)
    double precision :: d4(4), a(3, 4)
    complex :: c2(2)
    complex(kind(1d0)) :: z2(2)
    character(len=20) :: s20
    character(len=5) :: s5
    character(len=18) :: hi

    mism = failures
    call pvmfunpack(INTEGER4, e, 1, 1, info)
    call expect(e == enc, 'encoding in the message')
    call pvmfunpack(INTEGER4, i5, 5, 1, info)
    call pvmfunpack(INTEGER2, s3, 3, 1, info)
    call pvmfunpack(BYTE1, b4, 4, 1, info)
    call pvmfunpack(INTEGER8, l3, 3, 1, info)
    call pvmfunpack(REAL4, f4, 4, 1, info)
    call pvmfunpack(REAL8, d4, 4, 1, info)
    call pvmfunpack(COMPLEX8, c2, 2, 1, info)
    call pvmfunpack(COMPLEX16, z2, 2, 1, info)
    call expect(info == 0, 'unpack of the numeric values')
    call expect(all(i5 == ints), 'INTEGER4 from C')
    call expect(all(s3 == shorts), 'INTEGER2 from C')
    call expect(all(b4 == bytes), 'BYTE1 from C')
    call expect(all(l3 == longs), 'INTEGER8 from C')
    call expect(same4(f4, floats), 'REAL4 from C')
    call expect(same8(d4, doubles), 'REAL8 from C')
    call expect(same4(c2, cplx), 'COMPLEX8 from C')
    call expect(same8(z2, dcplx), 'COMPLEX16 from C')
    s20 = repeat('x', 20)
    call pvmfunpack(STRING, s20, 20, 1, info)
    call expect(info == 0 .and. s20(1:12) == 'hello from C' .and. &
                s20(13:20) == repeat(' ', 8), 'STRING from C, blank-padded')
    s5 = 'xxxxx'
    call pvmfunpack(STRING, s5, 5, 1, info)
    call expect(info == 0 .and. s5 == 'trunc', 'STRING from C, truncated')
    strided = -5
    call pvmfunpack(INTEGER4, strided, 4, 2, info)
    call pvmfunpack(INTEGER4, strided(8), 1, 1, info)
    call expect(info == 0 .and. all(strided == &
                [1000, -5, 1002, -5, 1004, -5, 1006, 1008]), &
                'INTEGER4 unpacked with stride 2')
    call pvmfunpack(INTEGER4, e, 1, 1, info)
    call expect(info == PvmNoData, 'message ends where C stopped packing')
    mism = failures - mism

    ! Our reply: status, the same values from Fortran variables, a string
    ! with trailing blanks and row 2 of a 3x4 matrix (stride 3).
    do j = 1, 4
      a(:, j) = [1d0, 2d0, 3d0] + 10d0 * j
    end do
    hi = 'fortran says hi'
    call pvmfinitsend(enc, bufid)
    call pvmfpack(INTEGER4, mism, 1, 1, info)
    call pvmfpack(INTEGER4, enc, 1, 1, info)
    call pvmfpack(INTEGER4, i5, 5, 1, info)
    call pvmfpack(INTEGER2, s3, 3, 1, info)
    call pvmfpack(BYTE1, b4, 4, 1, info)
    call pvmfpack(INTEGER8, l3, 3, 1, info)
    call pvmfpack(REAL4, f4, 4, 1, info)
    call pvmfpack(REAL8, d4, 4, 1, info)
    call pvmfpack(COMPLEX8, c2, 2, 1, info)
    call pvmfpack(COMPLEX16, z2, 2, 1, info)
    call pvmfpack(STRING, hi, len(hi), 1, info)
    call pvmfpack(REAL8, a(2, 1), 4, 3, info)
    call expect(info == 0, 'packing the reply')
    call pvmfsend(parent, TAG_F2C + enc, info)
    call expect(info == 0, 'sending the reply')
  end subroutine exchange

  subroutine psend_precv()
    double precision :: d(4)
    integer :: atid, atag, alen, info
    call pvmfprecv(parent, TAG_PSEND_C2F, d, 4, REAL8, atid, atag, alen, info)
    call expect(info == 0 .and. atid == parent .and. atag == TAG_PSEND_C2F &
                .and. alen == 32 .and. same8(d, doubles), 'pvmfprecv of REAL8')
    call pvmfpsend(parent, TAG_PSEND_F2C, [7, -8, 9], 3, INTEGER4, info)
    call expect(info == 0, 'pvmfpsend of INTEGER4')
  end subroutine psend_precv

  ! gcode: what pvm_joingroup returned in the C task.
  subroutine check_api(gcode)
    integer, intent(in) :: gcode
    integer :: ntask, tid, ptid, dtid, flag, info, i, seen, nhost, narch
    integer :: speed, val, ntids, idum, inum, x(3)
    character(len=64) :: aout, host, arch
    character(len=4) :: tiny

    ! pvmftasks: one task per call; this task and its parent are there.
    ntask = -1
    seen = 0
    call pvmftasks(0, ntask, tid, ptid, dtid, flag, aout, info)
    call expect(info == 0 .and. ntask >= 2, 'pvmftasks count')
    do i = 1, ntask
      if (i > 1) call pvmftasks(0, ntask, tid, ptid, dtid, flag, aout, info)
      if (tid == mytid) then
        seen = seen + 1
        call expect(ptid == parent, 'pvmftasks: parent tid')
        call expect(index(aout, 'it_fortran_peer') > 0, 'pvmftasks: a.out')
      end if
      if (tid == parent) seen = seen + 1
    end do
    call expect(seen == 2, 'pvmftasks cycles through every task')
    ! A short variable gets the name truncated.
    call pvmftasks(mytid, ntask, tid, ptid, dtid, flag, tiny, info)
    call expect(info == 0 .and. ntask == 1 .and. tid == mytid .and. &
                len_trim(tiny) == 4, 'pvmftasks of one task, short a.out')

    nhost = -1
    call pvmfconfig(nhost, narch, dtid, host, arch, speed, info)
    call expect(info == 0 .and. nhost == 1 .and. narch == 1 .and. &
                dtid > 0 .and. len_trim(host) > 0 .and. len_trim(arch) > 0, &
                'pvmfconfig')

    call pvmfsetopt(PVMROUTE, PVMDONTROUTE, val)
    call pvmfgetopt(PVMROUTE, val)
    call expect(val == PVMDONTROUTE, 'pvmfsetopt/pvmfgetopt')
    call pvmfsiblings(ntids, -1, idum)
    call expect(ntids == 1, 'pvmfsiblings count')
    call pvmfsiblings(ntids, 0, idum)
    call expect(idum == mytid, 'pvmfsiblings(0) is this task')

    ! Groups: the wrappers pass libgpvm3's answer through.
    call pvmfjoingroup('it_fortran_f   ', inum)
    call expect(inum == gcode, 'pvmfjoingroup passes the C code through')
    if (gcode == PvmNotImpl) then
      x = [1, 2, 3]
      call pvmfreduce(PvmSum, x, 3, INTEGER4, 5, 'it_fortran_f', 0, info)
      call expect(info == PvmNotImpl, 'pvmfreduce(PvmSum) passes PvmNotImpl')
      call pvmfbarrier('it_fortran_f', 1, info)
      call expect(info == PvmNotImpl, 'pvmfbarrier passes PvmNotImpl')
    end if
  end subroutine check_api
end program it_fortran_peer

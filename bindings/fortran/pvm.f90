! pvm: the modern Fortran interface to PVM-NG (`use pvm`). Explicit,
! type-checked interfaces to the pvmf* routines of libfpvm3 with optional
! status arguments, and fpvm3.h's constants; written with iso_c_binding.

! pvm_cbind: the libfpvm3 entry points behind module pvm's own procedures
! (internal to this file; programs use module pvm).
module pvm_cbind
  use, intrinsic :: iso_c_binding
  implicit none
  abstract interface
    subroutine pvm_reduce_func(datatype, x, y, num, info) bind(C)
      import :: c_int
      integer(c_int), intent(in) :: datatype, num
      type(*), dimension(*) :: x, y
      integer(c_int), intent(out) :: info
    end subroutine pvm_reduce_func
  end interface
  ! The C entry points behind the module's own procedures.
  interface
    subroutine c_exit(info) bind(C, name='pvmfexit_')
      import :: c_int
      integer(c_int), intent(out) :: info
    end subroutine c_exit
    subroutine c_kill(tid, info) bind(C, name='pvmfkill_')
      import :: c_int
      integer(c_int), intent(in) :: tid
      integer(c_int), intent(out) :: info
    end subroutine c_kill
    subroutine c_sendsig(tid, signum, info) bind(C, name='pvmfsendsig_')
      import :: c_int
      integer(c_int), intent(in) :: tid, signum
      integer(c_int), intent(out) :: info
    end subroutine c_sendsig
    subroutine c_catchout(onoff, info) bind(C, name='pvmfcatchout_')
      import :: c_int
      integer(c_int), intent(in) :: onoff
      integer(c_int), intent(out) :: info
    end subroutine c_catchout
    subroutine c_freebuf(bufid, info) bind(C, name='pvmffreebuf_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: info
    end subroutine c_freebuf
    subroutine c_send(tid, msgtag, info) bind(C, name='pvmfsend_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag
      integer(c_int), intent(out) :: info
    end subroutine c_send
    subroutine c_halt(info) bind(C, name='pvmfhalt_')
      import :: c_int
      integer(c_int), intent(out) :: info
    end subroutine c_halt
    subroutine c_freecontext(ctx, info) bind(C, name='pvmffreecontext_')
      import :: c_int
      integer(c_int), intent(in) :: ctx
      integer(c_int), intent(out) :: info
    end subroutine c_freecontext
    subroutine c_pkmesg(bufid, info) bind(C, name='pvmfpkmesg_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: info
    end subroutine c_pkmesg
    subroutine c_pkmesgbody(bufid, info) bind(C, name='pvmfpkmesgbody_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: info
    end subroutine c_pkmesgbody
    subroutine c_joingroup(group, inum, lgroup) &
        bind(C, name='pvmfjoingroup_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(out) :: inum
      integer(c_size_t), value :: lgroup
    end subroutine c_joingroup
    subroutine c_lvgroup(group, info, lgroup) &
        bind(C, name='pvmflvgroup_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lgroup
    end subroutine c_lvgroup
    subroutine c_gsize(group, size, lgroup) &
        bind(C, name='pvmfgsize_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(out) :: size
      integer(c_size_t), value :: lgroup
    end subroutine c_gsize
    subroutine c_barrier(group, count, info, lgroup) &
        bind(C, name='pvmfbarrier_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(in) :: count
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lgroup
    end subroutine c_barrier
    subroutine c_bcast(group, msgtag, info, lgroup) &
        bind(C, name='pvmfbcast_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(in) :: msgtag
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lgroup
    end subroutine c_bcast
    subroutine c_freezegroup(group, size, info, lgroup) &
        bind(C, name='pvmffreezegroup_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(in) :: size
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lgroup
    end subroutine c_freezegroup
    subroutine c_gettid(group, inum, tid, lgroup) &
        bind(C, name='pvmfgettid_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(in) :: inum
      integer(c_int), intent(out) :: tid
      integer(c_size_t), value :: lgroup
    end subroutine c_gettid
    subroutine c_getinst(group, tid, inum, lgroup) &
        bind(C, name='pvmfgetinst_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(in) :: tid
      integer(c_int), intent(out) :: inum
      integer(c_size_t), value :: lgroup
    end subroutine c_getinst
    subroutine c_mstat(host, mstat, lhost) &
        bind(C, name='pvmfmstat_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: host
      integer(c_int), intent(out) :: mstat
      integer(c_size_t), value :: lhost
    end subroutine c_mstat
    subroutine c_perror(msg, info, lmsg) &
        bind(C, name='pvmfperror_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: msg
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lmsg
    end subroutine c_perror
    subroutine c_addhost(host, info, lhost) &
        bind(C, name='pvmfaddhost_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: host
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lhost
    end subroutine c_addhost
    subroutine c_delhost(host, info, lhost) &
        bind(C, name='pvmfdelhost_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: host
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lhost
    end subroutine c_delhost
    subroutine c_spawn(task, flag, where, ntask, tids, numt, ltask, &
        lwhere) bind(C, name='pvmfspawn_')
      import :: c_int, c_char, c_size_t
      character(kind=c_char), dimension(*), intent(in) :: task, where
      integer(c_int), intent(in) :: flag, ntask
      integer(c_int), intent(out) :: tids(*), numt
      integer(c_size_t), value :: ltask, lwhere
    end subroutine c_spawn
    subroutine c_mcast(ntask, tids, msgtag, info) bind(C, name='pvmfmcast_')
      import :: c_int
      integer(c_int), intent(in) :: ntask, tids(*), msgtag
      integer(c_int), intent(out) :: info
    end subroutine c_mcast
    subroutine c_notify(what, msgtag, cnt, tids, info) &
        bind(C, name='pvmfnotify_')
      import :: c_int
      integer(c_int), intent(in) :: what, msgtag, cnt, tids(*)
      integer(c_int), intent(out) :: info
    end subroutine c_notify
    subroutine c_bufinfo(bufid, bytes, msgtag, tid, info) &
        bind(C, name='pvmfbufinfo_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: bytes, msgtag, tid, info
    end subroutine c_bufinfo
    subroutine c_setopt(what, val, oldval) bind(C, name='pvmfsetopt_')
      import :: c_int
      integer(c_int), intent(in) :: what, val
      integer(c_int), intent(out) :: oldval
    end subroutine c_setopt
    subroutine c_siblings(ntids, index, sibling) &
        bind(C, name='pvmfsiblings_')
      import :: c_int
      integer(c_int), intent(in) :: index
      integer(c_int), intent(inout) :: sibling
      integer(c_int), intent(out) :: ntids
    end subroutine c_siblings
    subroutine c_reduce(func, data, count, datatype, msgtag, group, &
        rootginst, info, lgroup) bind(C, name='pvmfreduce_')
      import :: c_int, c_char, c_size_t, pvm_reduce_func
      procedure(pvm_reduce_func) :: func
      type(*), dimension(*) :: data
      integer(c_int), intent(in) :: count, datatype, msgtag, rootginst
      character(kind=c_char), dimension(*), intent(in) :: group
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lgroup
    end subroutine c_reduce
    subroutine c_pack(what, xp, nitem, stride, info, lxp) &
        bind(C, name='pvmfpack_')
      import :: c_int, c_ptr, c_size_t
      integer(c_int), intent(in) :: what, nitem, stride
      type(c_ptr), value :: xp
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lxp
    end subroutine c_pack
    subroutine c_unpack(what, xp, nitem, stride, info, lxp) &
        bind(C, name='pvmfunpack_')
      import :: c_int, c_ptr, c_size_t
      integer(c_int), intent(in) :: what, nitem, stride
      type(c_ptr), value :: xp
      integer(c_int), intent(out) :: info
      integer(c_size_t), value :: lxp
    end subroutine c_unpack
  end interface
end module pvm_cbind

module pvm
  use, intrinsic :: iso_c_binding, only: c_int, c_short, c_int8_t, &
      c_long, c_float, c_double, c_float_complex, c_double_complex, &
      c_char, c_size_t, c_ptr, c_loc
  use pvm_cbind
  implicit none

  ! The constants of fpvm3.h (public). A program that uses this module
  ! does not include fpvm3.h as well.
  include 'fpvm3.h'

  ! The predefined reductions for pvmfreduce; a user's own reduction has
  ! the interface pvm_reduce_func.
  procedure(pvm_reduce_func), bind(C, name='pvmmax_') :: PvmMax
  procedure(pvm_reduce_func), bind(C, name='pvmmin_') :: PvmMin
  procedure(pvm_reduce_func), bind(C, name='pvmsum_') :: PvmSum
  procedure(pvm_reduce_func), bind(C, name='pvmproduct_') :: PvmProduct

  ! Routines whose every argument is an INTEGER with a fixed role: the C
  ! entry points of libfpvm3 themselves, with explicit interfaces.
  interface
    subroutine pvmfmytid(tid) bind(C, name='pvmfmytid_')
      import :: c_int
      integer(c_int), intent(out) :: tid
    end subroutine pvmfmytid
    subroutine pvmfparent(tid) bind(C, name='pvmfparent_')
      import :: c_int
      integer(c_int), intent(out) :: tid
    end subroutine pvmfparent
    subroutine pvmfpstat(tid, status) bind(C, name='pvmfpstat_')
      import :: c_int
      integer(c_int), intent(in) :: tid
      integer(c_int), intent(out) :: status
    end subroutine pvmfpstat
    subroutine pvmftidtohost(tid, dtid) bind(C, name='pvmftidtohost_')
      import :: c_int
      integer(c_int), intent(in) :: tid
      integer(c_int), intent(out) :: dtid
    end subroutine pvmftidtohost
    subroutine pvmfgetopt(what, val) bind(C, name='pvmfgetopt_')
      import :: c_int
      integer(c_int), intent(in) :: what
      integer(c_int), intent(out) :: val
    end subroutine pvmfgetopt
    subroutine pvmfgetsbuf(bufid) bind(C, name='pvmfgetsbuf_')
      import :: c_int
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfgetsbuf
    subroutine pvmfgetrbuf(bufid) bind(C, name='pvmfgetrbuf_')
      import :: c_int
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfgetrbuf
    subroutine pvmfsetsbuf(bufid, oldbuf) bind(C, name='pvmfsetsbuf_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: oldbuf
    end subroutine pvmfsetsbuf
    subroutine pvmfsetrbuf(bufid, oldbuf) bind(C, name='pvmfsetrbuf_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: oldbuf
    end subroutine pvmfsetrbuf
    subroutine pvmfrecv(tid, msgtag, bufid) bind(C, name='pvmfrecv_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfrecv
    subroutine pvmfnrecv(tid, msgtag, bufid) bind(C, name='pvmfnrecv_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfnrecv
    subroutine pvmfprobe(tid, msgtag, bufid) bind(C, name='pvmfprobe_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfprobe
    subroutine pvmftrecv(tid, msgtag, sec, usec, bufid) bind(C, name='pvmftrecv_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag, sec, usec
      integer(c_int), intent(out) :: bufid
    end subroutine pvmftrecv
    subroutine pvmfinitsend(encoding, bufid) bind(C, name='pvmfinitsend_')
      import :: c_int
      integer(c_int), intent(in) :: encoding
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfinitsend
    subroutine pvmfmkbuf(encoding, bufid) bind(C, name='pvmfmkbuf_')
      import :: c_int
      integer(c_int), intent(in) :: encoding
      integer(c_int), intent(out) :: bufid
    end subroutine pvmfmkbuf
    subroutine pvmfnewcontext(ctx) bind(C, name='pvmfnewcontext_')
      import :: c_int
      integer(c_int), intent(out) :: ctx
    end subroutine pvmfnewcontext
    subroutine pvmfgetcontext(ctx) bind(C, name='pvmfgetcontext_')
      import :: c_int
      integer(c_int), intent(out) :: ctx
    end subroutine pvmfgetcontext
    subroutine pvmfsetcontext(ctx, oldctx) bind(C, name='pvmfsetcontext_')
      import :: c_int
      integer(c_int), intent(in) :: ctx
      integer(c_int), intent(out) :: oldctx
    end subroutine pvmfsetcontext
    subroutine pvmfupkmesg(bufid, newbufid) bind(C, name='pvmfupkmesg_')
      import :: c_int
      integer(c_int), intent(in) :: bufid
      integer(c_int), intent(out) :: newbufid
    end subroutine pvmfupkmesg
    subroutine pvmfpsend(tid, msgtag, buf, len, datatype, info) &
        bind(C, name='pvmfpsend_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag, len, datatype
      type(*), dimension(*), intent(in) :: buf
      integer(c_int), intent(out) :: info
    end subroutine pvmfpsend
    subroutine pvmfprecv(tid, msgtag, buf, len, datatype, atid, atag, &
        alen, info) bind(C, name='pvmfprecv_')
      import :: c_int
      integer(c_int), intent(in) :: tid, msgtag, len, datatype
      type(*), dimension(*) :: buf
      integer(c_int), intent(out) :: atid, atag, alen, info
    end subroutine pvmfprecv
  end interface


  ! pvmfpack(what, x, nitem, stride [, info]) and pvmfunpack: x is checked
  ! against the selector (INTEGER4 with INTEGER(4), ..., STRING or BYTE1
  ! with CHARACTER); a mismatch returns PvmBadParam and packs nothing.
  interface pvmfpack
    module procedure pack_i4, pack_i4_a, pack_i2, pack_i2_a
    module procedure pack_i1, pack_i1_a, pack_i8, pack_i8_a
    module procedure pack_r4, pack_r4_a, pack_r8, pack_r8_a
    module procedure pack_c8, pack_c8_a, pack_c16, pack_c16_a
    module procedure pack_str
  end interface pvmfpack
  interface pvmfunpack
    module procedure unpack_i4, unpack_i4_a, unpack_i2, unpack_i2_a
    module procedure unpack_i1, unpack_i1_a, unpack_i8, unpack_i8_a
    module procedure unpack_r4, unpack_r4_a, unpack_r8, unpack_r8_a
    module procedure unpack_c8, unpack_c8_a, unpack_c16, unpack_c16_a
    module procedure unpack_str
  end interface pvmfunpack

  private :: c_int, c_short, c_int8_t, c_long, c_float, c_double
  private :: c_float_complex, c_double_complex, c_char, c_size_t
  private :: c_ptr, c_loc
  private :: c_exit, c_kill, c_sendsig, c_catchout, c_freebuf
  private :: c_send, c_halt, c_freecontext, c_pkmesg, c_pkmesgbody
  private :: c_joingroup, c_lvgroup, c_gsize, c_barrier, c_bcast
  private :: c_freezegroup, c_gettid, c_getinst, c_mstat, c_perror
  private :: c_addhost, c_delhost, c_spawn, c_mcast, c_notify
  private :: c_bufinfo, c_setopt, c_siblings, c_reduce, c_pack
  private :: c_unpack, put_status, check_what
  private :: pack_i4, pack_i4_a, pack_i2, pack_i2_a, pack_i1
  private :: pack_i1_a, pack_i8, pack_i8_a, pack_r4, pack_r4_a
  private :: pack_r8, pack_r8_a, pack_c8, pack_c8_a, pack_c16
  private :: pack_c16_a, pack_str
  private :: unpack_i4, unpack_i4_a, unpack_i2, unpack_i2_a, unpack_i1
  private :: unpack_i1_a, unpack_i8, unpack_i8_a, unpack_r4, unpack_r4_a
  private :: unpack_r8, unpack_r8_a, unpack_c8, unpack_c8_a, unpack_c16
  private :: unpack_c16_a, unpack_str

contains

  ! Stores code in info when the caller passed it.
  subroutine put_status(code, info)
    integer(c_int), intent(in) :: code
    integer, intent(out), optional :: info
    if (present(info)) info = code
  end subroutine put_status

  ! PvmOk when selector what suits the argument's type, else PvmBadParam.
  pure integer(c_int) function check_what(what, want, alt)
    integer, intent(in) :: what, want, alt
    check_what = PvmBadParam
    if (what == want .or. what == alt) check_what = PvmOk
  end function check_what

  subroutine pvmfexit(info)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_exit(cc)
    call put_status(cc, info)
  end subroutine pvmfexit

  subroutine pvmfkill(tid, info)
    integer, intent(in) :: tid
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_kill(tid, cc)
    call put_status(cc, info)
  end subroutine pvmfkill

  subroutine pvmfsendsig(tid, signum, info)
    integer, intent(in) :: tid, signum
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_sendsig(tid, signum, cc)
    call put_status(cc, info)
  end subroutine pvmfsendsig

  subroutine pvmfcatchout(onoff, info)
    integer, intent(in) :: onoff
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_catchout(onoff, cc)
    call put_status(cc, info)
  end subroutine pvmfcatchout

  subroutine pvmffreebuf(bufid, info)
    integer, intent(in) :: bufid
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_freebuf(bufid, cc)
    call put_status(cc, info)
  end subroutine pvmffreebuf

  subroutine pvmfsend(tid, msgtag, info)
    integer, intent(in) :: tid, msgtag
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_send(tid, msgtag, cc)
    call put_status(cc, info)
  end subroutine pvmfsend

  subroutine pvmfhalt(info)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_halt(cc)
    call put_status(cc, info)
  end subroutine pvmfhalt

  subroutine pvmffreecontext(ctx, info)
    integer, intent(in) :: ctx
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_freecontext(ctx, cc)
    call put_status(cc, info)
  end subroutine pvmffreecontext

  subroutine pvmfpkmesg(bufid, info)
    integer, intent(in) :: bufid
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_pkmesg(bufid, cc)
    call put_status(cc, info)
  end subroutine pvmfpkmesg

  subroutine pvmfpkmesgbody(bufid, info)
    integer, intent(in) :: bufid
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_pkmesgbody(bufid, cc)
    call put_status(cc, info)
  end subroutine pvmfpkmesgbody

  subroutine pvmfjoingroup(group, inum)
    character(len=*), intent(in) :: group
    integer, intent(out) :: inum
    call c_joingroup(group, inum, len(group, c_size_t))
  end subroutine pvmfjoingroup

  subroutine pvmflvgroup(group, info)
    character(len=*), intent(in) :: group
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_lvgroup(group, cc, len(group, c_size_t))
    call put_status(cc, info)
  end subroutine pvmflvgroup

  subroutine pvmfgsize(group, size)
    character(len=*), intent(in) :: group
    integer, intent(out) :: size
    call c_gsize(group, size, len(group, c_size_t))
  end subroutine pvmfgsize

  subroutine pvmfbarrier(group, count, info)
    character(len=*), intent(in) :: group
    integer, intent(in) :: count
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_barrier(group, count, cc, len(group, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfbarrier

  subroutine pvmfbcast(group, msgtag, info)
    character(len=*), intent(in) :: group
    integer, intent(in) :: msgtag
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_bcast(group, msgtag, cc, len(group, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfbcast

  subroutine pvmffreezegroup(group, size, info)
    character(len=*), intent(in) :: group
    integer, intent(in) :: size
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_freezegroup(group, size, cc, len(group, c_size_t))
    call put_status(cc, info)
  end subroutine pvmffreezegroup

  subroutine pvmfgettid(group, inum, tid)
    character(len=*), intent(in) :: group
    integer, intent(in) :: inum
    integer, intent(out) :: tid
    call c_gettid(group, inum, tid, len(group, c_size_t))
  end subroutine pvmfgettid

  subroutine pvmfgetinst(group, tid, inum)
    character(len=*), intent(in) :: group
    integer, intent(in) :: tid
    integer, intent(out) :: inum
    call c_getinst(group, tid, inum, len(group, c_size_t))
  end subroutine pvmfgetinst

  subroutine pvmfmstat(host, mstat)
    character(len=*), intent(in) :: host
    integer, intent(out) :: mstat
    call c_mstat(host, mstat, len(host, c_size_t))
  end subroutine pvmfmstat

  subroutine pvmfperror(msg, info)
    character(len=*), intent(in) :: msg
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_perror(msg, cc, len(msg, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfperror

  subroutine pvmfaddhost(host, info)
    character(len=*), intent(in) :: host
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_addhost(host, cc, len(host, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfaddhost

  subroutine pvmfdelhost(host, info)
    character(len=*), intent(in) :: host
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_delhost(host, cc, len(host, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfdelhost

  ! where '*' (or blank) lets PVM choose the host.
  subroutine pvmfspawn(task, flag, where, ntask, tids, numt)
    character(len=*), intent(in) :: task, where
    integer, intent(in) :: flag, ntask
    integer, intent(out) :: tids(*), numt
    call c_spawn(task, flag, where, ntask, tids, numt, &
                 len(task, c_size_t), len(where, c_size_t))
  end subroutine pvmfspawn

  subroutine pvmfmcast(ntask, tids, msgtag, info)
    integer, intent(in) :: ntask, tids(*), msgtag
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_mcast(ntask, tids, msgtag, cc)
    call put_status(cc, info)
  end subroutine pvmfmcast

  subroutine pvmfnotify(what, msgtag, cnt, tids, info)
    integer, intent(in) :: what, msgtag, cnt, tids(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_notify(what, msgtag, cnt, tids, cc)
    call put_status(cc, info)
  end subroutine pvmfnotify

  subroutine pvmfbufinfo(bufid, bytes, msgtag, tid, info)
    integer, intent(in) :: bufid
    integer, intent(out) :: bytes, msgtag, tid
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_bufinfo(bufid, bytes, msgtag, tid, cc)
    call put_status(cc, info)
  end subroutine pvmfbufinfo

  subroutine pvmfsetopt(what, val, oldval)
    integer, intent(in) :: what, val
    integer, intent(out), optional :: oldval
    integer(c_int) :: old
    call c_setopt(what, val, old)
    if (present(oldval)) oldval = old
  end subroutine pvmfsetopt

  ! Without index (or with index -1) only ntids is returned.
  subroutine pvmfsiblings(ntids, index, sibling)
    integer, intent(out) :: ntids
    integer, intent(in), optional :: index
    integer, intent(inout), optional :: sibling
    integer(c_int) :: idx, sib
    idx = -1
    sib = 0
    if (present(index) .and. present(sibling)) idx = index
    call c_siblings(ntids, idx, sib)
    if (idx /= -1) sibling = sib
  end subroutine pvmfsiblings

  ! func: PvmMax, PvmMin, PvmSum, PvmProduct or a pvm_reduce_func.
  subroutine pvmfreduce(func, data, count, datatype, msgtag, group, &
                        rootginst, info)
    procedure(pvm_reduce_func) :: func
    type(*), dimension(*) :: data
    integer, intent(in) :: count, datatype, msgtag, rootginst
    character(len=*), intent(in) :: group
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    call c_reduce(func, data, count, datatype, msgtag, group, rootginst, &
                  cc, len(group, c_size_t))
    call put_status(cc, info)
  end subroutine pvmfreduce

  subroutine pack_i4(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER4, INTEGER4)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i4

  subroutine pack_i4_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER4, INTEGER4)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i4_a

  subroutine pack_i2(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_short), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER2, INTEGER2)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i2

  subroutine pack_i2_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_short), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER2, INTEGER2)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i2_a

  subroutine pack_i1(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int8_t), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, BYTE1, BYTE1)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i1

  subroutine pack_i1_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int8_t), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, BYTE1, BYTE1)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i1_a

  subroutine pack_i8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_long), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER8, INTEGER8)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i8

  subroutine pack_i8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_long), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER8, INTEGER8)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_i8_a

  subroutine pack_r4(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_float), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL4, REAL4)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_r4

  subroutine pack_r4_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_float), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL4, REAL4)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_r4_a

  subroutine pack_r8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_double), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL8, REAL8)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_r8

  subroutine pack_r8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_double), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL8, REAL8)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_r8_a

  subroutine pack_c8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_float_complex), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX8, COMPLEX8)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_c8

  subroutine pack_c8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_float_complex), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX8, COMPLEX8)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_c8_a

  subroutine pack_c16(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_double_complex), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX16, COMPLEX16)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_c16

  subroutine pack_c16_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_double_complex), intent(in), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX16, COMPLEX16)
    if (cc == PvmOk) call c_pack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine pack_c16_a

  subroutine pack_str(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    character(len=*), intent(in), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, STRING, BYTE1)
    if (cc == PvmOk) call c_pack(what, c_loc(x), nitem, stride, cc, len(x, c_size_t))
    call put_status(cc, info)
  end subroutine pack_str

  subroutine unpack_i4(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER4, INTEGER4)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i4

  subroutine unpack_i4_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER4, INTEGER4)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i4_a

  subroutine unpack_i2(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_short), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER2, INTEGER2)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i2

  subroutine unpack_i2_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_short), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER2, INTEGER2)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i2_a

  subroutine unpack_i1(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int8_t), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, BYTE1, BYTE1)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i1

  subroutine unpack_i1_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_int8_t), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, BYTE1, BYTE1)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i1_a

  subroutine unpack_i8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_long), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER8, INTEGER8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i8

  subroutine unpack_i8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    integer(c_long), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, INTEGER8, INTEGER8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_i8_a

  subroutine unpack_r4(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_float), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL4, REAL4)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_r4

  subroutine unpack_r4_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_float), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL4, REAL4)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_r4_a

  subroutine unpack_r8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_double), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL8, REAL8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_r8

  subroutine unpack_r8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    real(c_double), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, REAL8, REAL8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_r8_a

  subroutine unpack_c8(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_float_complex), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX8, COMPLEX8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_c8

  subroutine unpack_c8_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_float_complex), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX8, COMPLEX8)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_c8_a

  subroutine unpack_c16(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_double_complex), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX16, COMPLEX16)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_c16

  subroutine unpack_c16_a(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    complex(c_double_complex), intent(inout), target :: x(*)
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, COMPLEX16, COMPLEX16)
    if (cc == PvmOk) call c_unpack(what, c_loc(x(1)), nitem, stride, cc, 0_c_size_t)
    call put_status(cc, info)
  end subroutine unpack_c16_a

  subroutine unpack_str(what, x, nitem, stride, info)
    integer, intent(in) :: what, nitem, stride
    character(len=*), intent(inout), target :: x
    integer, intent(out), optional :: info
    integer(c_int) :: cc
    cc = check_what(what, STRING, BYTE1)
    if (cc == PvmOk) call c_unpack(what, c_loc(x), nitem, stride, cc, len(x, c_size_t))
    call put_status(cc, info)
  end subroutine unpack_str

end module pvm

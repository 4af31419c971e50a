/* Public interface of libpvm3, PVM-NG's task library. Source-compatible with
 * PVM 3.4.6: the same names, values, structures and prototypes, so programs
 * written for PVM 3.4 build unchanged. Extensions live in pvmng.h. */
#ifndef _PVM3_H_
#define _PVM3_H_

#include <stdio.h>    /* FILE for pvm_catchout; fprintf/tmpnam for macros */
#include <sys/time.h> /* struct timeval for pvm_trecv and pvm_hostsync */

/* ---- Release ---------------------------------------------------------- */

/* The PVM release this interface matches. */
#define PVM_VER "3.4.6"
#define PVM_MAJOR_VERSION 3
#define PVM_MINOR_VERSION 4
#define PVM_PATCH_VERSION 6

/* ---- Message encodings (pvm_initsend, pvm_mkbuf) ---------------------- */

#define PvmDataDefault 0 /* portable: XDR, readable on any host */
#define PvmDataRaw 1     /* native layout, copied at pack time */
#define PvmDataInPlace 2 /* native layout, read from user memory at send */
#define PvmDataFoo PvmDataDefault /* internal alias of the default */
#define PvmDataTrace 4            /* encoding used for trace event records */

/* ---- pvm_spawn flags (OR them together) ------------------------------- */

#define PvmTaskDefault 0    /* let PVM choose where */
#define PvmTaskHost 1       /* `where` names a host */
#define PvmTaskArch 2       /* `where` names an architecture */
#define PvmTaskDebug 4      /* run the task under a debugger */
#define PvmTaskTrace 8      /* the task emits trace events */
#define PvmMppFront 16      /* MPP systems: start on the front end */
#define PvmHostCompl 32     /* use every host except `where` */
#define PvmNoSpawnParent 64 /* the new task gets no parent */

/* ---- pvm_notify event kinds and modifiers ----------------------------- */

#define PvmTaskExit 1       /* a task exited */
#define PvmHostDelete 2     /* a host was deleted or failed */
#define PvmHostAdd 3        /* hosts were added */
#define PvmRouteAdd 4       /* a direct task-to-task route opened */
#define PvmRouteDelete 5    /* a direct route closed */
#define PvmNotifyCancel 256 /* OR with a kind: cancel matching notifies */

/* ---- pvm_setopt / pvm_getopt: option names, with their values indented -- */

#define PvmRoute 1             /* routing policy: */
#define PvmDontRoute 1         /*   always go through the daemons */
#define PvmAllowDirect 2       /*   accept direct routes, do not ask for them */
#define PvmRouteDirect 3       /*   ask for direct routes */
#define PvmDebugMask 2         /* library debug mask */
#define PvmAutoErr 3           /* print errors: 0 no, 1 yes, 2 exit, 3 abort */
#define PvmOutputTid 4         /* where children's stdout goes */
#define PvmOutputCode 5        /* tag of children's stdout messages */
#define PvmTraceTid 6          /* where children's trace events go */
#define PvmTraceCode 7         /* tag of children's trace messages */
#define PvmTraceBuffer 8       /* children's trace buffer size */
#define PvmTraceOptions 9      /* children's trace mode: */
#define PvmTraceFull 1         /*   every event */
#define PvmTraceTime 2         /*   timings of PVM calls only */
#define PvmTraceCount 3        /*   call counts only */
#define PvmFragSize 10         /* message fragment size */
#define PvmResvTids 11         /* allow reserved tags and tids */
#define PvmSelfOutputTid 12    /* where this task's stdout goes */
#define PvmSelfOutputCode 13   /* tag of this task's stdout messages */
#define PvmSelfTraceTid 14     /* where this task's trace events go */
#define PvmSelfTraceCode 15    /* tag of this task's trace messages */
#define PvmSelfTraceBuffer 16  /* this task's trace buffer size */
#define PvmSelfTraceOptions 17 /* this task's trace mode */
#define PvmShowTids 18         /* pvm_catchout prefixes lines with tids */
#define PvmPollType 19         /* how a blocked receive waits: */
#define PvmPollConstant 1      /*   keep polling */
#define PvmPollSleep 2         /*   poll for PvmPollTime, then sleep */
#define PvmPollTime 20         /* poll period before sleeping */
#define PvmOutputContext 21    /* context of children's stdout messages */
#define PvmTraceContext 22     /* context of children's trace messages */
#define PvmSelfOutputContext 23 /* context of this task's stdout messages */
#define PvmSelfTraceContext 24  /* context of this task's trace messages */
#define PvmNoReset 25           /* survive a reset of the virtual machine */

/* ---- pvm_settmask / pvm_gettmask targets ------------------------------ */

#define PvmTaskSelf 0  /* this task's mask */
#define PvmTaskChild 1 /* mask inherited by children */

/* ---- Message contexts ------------------------------------------------- */

/* The context of a task that never calls pvm_setcontext (PVM 3.3 style). */
#define PvmBaseContext 0

/* ---- Mailbox flags (pvm_putinfo, pvm_recvinfo, pvm_delinfo) ----------- */

#define PvmMboxDefault 0        /* one locked entry; read the first entry */
#define PvmMboxPersistent 1     /* entry outlives the task that put it */
#define PvmMboxMultiInstance 2  /* a class may hold several entries */
#define PvmMboxOverWritable 4   /* others may replace this entry */
#define PvmMboxFirstAvail 8     /* use the first free index >= the one given */
#define PvmMboxReadAndDelete 16 /* read and remove in one step */
#define PvmMboxWaitForInfo 32   /* pvm_recvinfo blocks until an entry exists */
#define PvmMboxMaxFlag 512      /* highest flag bit; index bits start above */

/* An entry index may be carried in the flags, above the flag bits.
 * PvmMboxDirectIndex(i) makes the flag bits for index i (printing a
 * complaint and giving 0 when i is too large); PvmMboxDirectIndexOf(f)
 * extracts the index from flags f. */
#define PvmMboxDirectIndexShift 10
#define PvmMboxMaxDirectIndex ((unsigned)1 << (31 - PvmMboxDirectIndexShift))
#define PvmMboxDirectIndexOf(_flags)                                           \
  (((_flags) & ((PvmMboxMaxDirectIndex - 1) << PvmMboxDirectIndexShift)) >>    \
   PvmMboxDirectIndexShift)
#define PvmMboxDirectIndex(_index)                                             \
  (((_index) >= PvmMboxMaxDirectIndex)                                         \
       ? (fprintf(stderr, "Mbox Direct Index Too Large: %d >= %d\n", (_index), \
                  PvmMboxMaxDirectIndex),                                      \
          0)                                                                   \
       : ((_index) << PvmMboxDirectIndexShift))

/* Mailbox classes reserved for the system (hoster, tasker, tracer, resource
 * manager, and the list of tasks that survive a reset). */
#define PVMNORESETCLASS "###_PVM_NO_RESET_###"
#define PVMHOSTERCLASS "###_PVM_HOSTER_###"
#define PVMTASKERCLASS "###_PVM_TASKER_###"
#define PVMTRACERCLASS "###_PVM_TRACER_###"
#define PVMRMCLASS "###_PVM_RM_###"

/* ---- Error codes: every pvm_* call returns one of these when it fails;
 *      pvm_errlist[-code] is the text. Gaps (-1, -9, -11, -13) are unused. */

#define PvmOk 0             /* success */
#define PvmBadParam -2      /* an argument is invalid */
#define PvmMismatch -3      /* arguments do not agree with each other */
#define PvmOverflow -4      /* a value is too large */
#define PvmNoData -5        /* unpacked past the end of the message */
#define PvmNoHost -6        /* no such host */
#define PvmNoFile -7        /* executable not found */
#define PvmDenied -8        /* not allowed */
#define PvmNoMem -10        /* out of memory */
#define PvmBadMsg -12       /* message cannot be decoded */
#define PvmSysErr -14       /* the local pvmd cannot be reached */
#define PvmNoBuf -15        /* no active buffer */
#define PvmNoSuchBuf -16    /* buffer id does not exist */
#define PvmNullGroup -17    /* empty or null group name */
#define PvmDupGroup -18     /* already a member of the group */
#define PvmNoGroup -19      /* group does not exist */
#define PvmNotInGroup -20   /* not a member of the group */
#define PvmNoInst -21       /* no such instance in the group */
#define PvmHostFail -22     /* a host failed */
#define PvmNoParent -23     /* the task has no parent */
#define PvmNotImpl -24      /* not implemented */
#define PvmDSysErr -25      /* internal error in a pvmd */
#define PvmBadVersion -26   /* protocol version mismatch */
#define PvmOutOfRes -27     /* out of resources */
#define PvmDupHost -28      /* host already in the virtual machine */
#define PvmCantStart -29    /* a pvmd could not be started */
#define PvmAlready -30      /* operation already in progress */
#define PvmNoTask -31       /* no such task */
#define PvmNotFound -32     /* no such entry */
#define PvmExists -33       /* entry already exists */
#define PvmHostrNMstr -34   /* hoster must run on the master host */
#define PvmParentNotSet -35 /* parent was spawned with PvmNoSpawnParent */
#define PvmIPLoopback -36   /* master host address is a loopback address */

/* Names kept from PVM 3.3. */
#define PvmNoEntry PvmNotFound
#define PvmDupEntry PvmDenied

/* ---- Element types for pvm_psend, pvm_precv, pvm_reduce, pvm_gather ---- */

#define PVM_STR 0
#define PVM_BYTE 1
#define PVM_SHORT 2
#define PVM_INT 3
#define PVM_FLOAT 4
#define PVM_CPLX 5 /* pair of floats */
#define PVM_DOUBLE 6
#define PVM_DCPLX 7 /* pair of doubles */
#define PVM_LONG 8
#define PVM_USHORT 9
#define PVM_UINT 10
#define PVM_ULONG 11

/* ---- Structures returned by the library -------------------------------
 * Arrays of these are owned by the library and stay valid until the next
 * call of the same function. */

/* One host of the virtual machine (pvm_config, pvm_reg_rm). */
struct pvmhostinfo {
  int hi_tid;    /* tid of the host's pvmd */
  char *hi_name; /* host name */
  char *hi_arch; /* architecture name */
  int hi_speed;  /* relative speed */
  int hi_dsig;   /* data format signature */
};

/* One task (pvm_tasks). */
struct pvmtaskinfo {
  int ti_tid;     /* task id */
  int ti_ptid;    /* parent's tid */
  int ti_host;    /* tid of the pvmd the task runs under */
  int ti_flag;    /* status flags */
  char *ti_a_out; /* executable name */
  int ti_pid;     /* operating system process id */
};

/* Header fields of a message buffer (pvm_getminfo, pvm_setminfo). */
struct pvmminfo {
  int len; /* body length in bytes */
  int ctx; /* context */
  int tag; /* message tag */
  int wid; /* wait id */
  int enc; /* encoding */
  int crc; /* checksum */
  int src; /* sender's tid */
  int dst; /* receiver's tid */
};

/* One mailbox class (pvm_getmboxinfo). */
struct pvmmboxinfo {
  char *mi_name;   /* class name */
  int mi_nentries; /* number of entries */
  int *mi_indices; /* index of each entry */
  int *mi_owners;  /* tid of each entry's owner */
  int *mi_flags;   /* flags of each entry */
};

/* ---- Temporary file names ---------------------------------------------
 * Define NOTMPNAM to use the library's pvmtmpnam() instead of tmpnam().
 * PVMTMPNAMLEN is a buffer size large enough for either. */
#ifdef NOTMPNAM
#define PVMTMPNAMFUN(x) pvmtmpnam(x)
#else
#define PVMTMPNAMFUN(x) tmpnam(x)
#endif
#if defined(L_tmpnam) && !defined(NOTMPNAM) && L_tmpnam > 128
#define PVMTMPNAMLEN L_tmpnam
#else
#define PVMTMPNAMLEN 128
#endif

/* Prototype wrapper some PVM-era programs use in their own declarations. */
#ifdef __ProtoGlarp__
#undef __ProtoGlarp__
#endif
#define __ProtoGlarp__(x) x

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared from here on is the library's interface. libpvm3 is
 * built with hidden visibility, so that only these names are exported. */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

/* ---- Error state ------------------------------------------------------ */

extern int pvm_errno;       /* code of the last failed call */
extern int pvm_nerr;        /* number of entries in pvm_errlist */
extern char *pvm_errlist[]; /* pvm_errlist[-code]: text of an error code */

int pvm_perror(char *msg);
char *pvm_strerror(void); /* text of pvm_errno */

/* ---- Environment helpers ---------------------------------------------- */

#ifdef NOTMPNAM
char *pvmtmpnam(char *buf);
#endif
char *pvmgetrsh(void);
char *pvmgettmp(void);
char *pvm_version(void);

/* ---- Enrolment, tasks and the virtual machine ------------------------- */

int pvm_mytid(void);
int pvm_parent(void);
int pvm_exit(void);
int pvm_siblings(int **tids);
int pvm_spawn(char *task, char **argv, int flag, char *where, int ntask,
              int *tids);
int pvm_kill(int tid);
int pvm_sendsig(int tid, int signum);
int pvm_pstat(int tid);
int pvm_mstat(char *host);
int pvm_tidtohost(int tid);
int pvm_tasks(int where, int *ntask, struct pvmtaskinfo **taskp);
int pvm_config(int *nhost, int *narch, struct pvmhostinfo **hostp);
int pvm_addhosts(char **hosts, int nhost, int *infos);
int pvm_delhosts(char **hosts, int nhost, int *infos);
int pvm_halt(void);
int pvm_start_pvmd(int argc, char **argv, int block);
int pvm_archcode(char *arch);
int pvm_hostsync(int host, struct timeval *clk, struct timeval *delta);
int pvm_notify(int what, int msgtag, int cnt, int *tids);
int pvm_catchout(FILE *ff);
int pvm_getfds(int **fds);
int pvm_tickle(int narg, int *argp, int *nresp, int *resp);
int pvm_export(char *name);
int pvm_unexport(char *name);
int pvm_getnoresets(int **tids, int *ntids);

/* ---- Options ---------------------------------------------------------- */

int pvm_setopt(int what, int val);
int pvm_getopt(int what);

/* ---- Message buffers -------------------------------------------------- */

int pvm_initsend(int encoding);
int pvm_mkbuf(int encoding);
int pvm_freebuf(int bufid);
int pvm_getsbuf(void);
int pvm_getrbuf(void);
int pvm_setsbuf(int bufid);
int pvm_setrbuf(int bufid);
int pvm_bufinfo(int bufid, int *bytes, int *msgtag, int *tid);
int pvm_getminfo(int bufid, struct pvmminfo *info);
int pvm_setminfo(int bufid, struct pvmminfo *info);

/* ---- Packing: pvm_pkX(addr, nitem, stride) ----------------------------- */

int pvm_packf(const char *fmt, ...);
int pvm_pkbyte(char *xp, int nitem, int stride);
int pvm_pkcplx(float *cp, int nitem, int stride);
int pvm_pkdcplx(double *zp, int nitem, int stride);
int pvm_pkdouble(double *dp, int nitem, int stride);
int pvm_pkfloat(float *fp, int nitem, int stride);
int pvm_pkint(int *ip, int nitem, int stride);
int pvm_pklong(long *ip, int nitem, int stride);
int pvm_pkshort(short *ip, int nitem, int stride);
int pvm_pkstr(char *sp);
int pvm_pkuint(unsigned int *ip, int nitem, int stride);
int pvm_pkulong(unsigned long *ip, int nitem, int stride);
int pvm_pkushort(unsigned short *ip, int nitem, int stride);
int pvm_pkmesg(int bufid);
int pvm_pkmesgbody(int bufid);

/* ---- Unpacking: pvm_upkX(addr, nitem, stride) -------------------------- */

int pvm_unpackf(const char *fmt, ...);
int pvm_upkbyte(char *xp, int nitem, int stride);
int pvm_upkcplx(float *cp, int nitem, int stride);
int pvm_upkdcplx(double *zp, int nitem, int stride);
int pvm_upkdouble(double *dp, int nitem, int stride);
int pvm_upkfloat(float *fp, int nitem, int stride);
int pvm_upkint(int *ip, int nitem, int stride);
int pvm_upklong(long *ip, int nitem, int stride);
int pvm_upkshort(short *ip, int nitem, int stride);
int pvm_upkstr(char *sp);
int pvm_upkuint(unsigned int *ip, int nitem, int stride);
int pvm_upkulong(unsigned long *ip, int nitem, int stride);
int pvm_upkushort(unsigned short *ip, int nitem, int stride);
int pvm_upkmesg(void);

/* ---- Sending and receiving --------------------------------------------- */

int pvm_send(int tid, int msgtag);
int pvm_mcast(int *tids, int ntask, int msgtag);
int pvm_psend(int tid, int msgtag, void *buf, int len, int datatype);
int pvm_recv(int tid, int msgtag);
int pvm_nrecv(int tid, int msgtag);
int pvm_trecv(int tid, int msgtag, struct timeval *tmout);
int pvm_probe(int tid, int msgtag);
int pvm_precv(int tid, int msgtag, void *buf, int len, int datatype, int *atid,
              int *atag, int *alen);
/* Installs a matching function for the receive calls (NULL restores the
 * default match on tid and tag) and returns the previous one. The return
 * type is the one PVM 3.4.6 declares; cast it to int (*)(int, int, int)
 * before calling it. */
int (*pvm_recvf(int (*newf)(int bufid, int tid, int tag)))(int (*)(int, int,
                                                                   int));

/* ---- Contexts ---------------------------------------------------------- */

int pvm_newcontext(void);
int pvm_setcontext(int ctx);
int pvm_getcontext(void);
int pvm_freecontext(int ctx);

/* ---- Message handlers --------------------------------------------------- */

int pvm_addmhf(int src, int tag, int ctx, int (*func)(int mid));
int pvm_delmhf(int mhid);

/* ---- Mailbox ------------------------------------------------------------ */

int pvm_putinfo(char *name, int bufid, int flags);
int pvm_recvinfo(char *name, int index, int flags);
int pvm_delinfo(char *name, int index, int flags);
int pvm_getmboxinfo(char *pattern, int *nclasses, struct pvmmboxinfo **classes);
/* PVM 3.3 database calls, now served by the mailbox. */
int pvm_insert(char *name, int req, int data);
int pvm_lookup(char *name, int req, int *datap);
int pvm_delete(char *name, int req);

/* ---- Dynamic groups (libgpvm3) ----------------------------------------- */

int pvm_joingroup(char *group);
int pvm_lvgroup(char *group);
int pvm_gettid(char *group, int inum);
int pvm_getinst(char *group, int tid);
int pvm_gsize(char *group);
int pvm_freezegroup(char *group, int size);
int pvm_barrier(char *group, int count);
int pvm_bcast(char *group, int msgtag);
int pvm_gather(void *result, void *data, int count, int datatype, int msgtag,
               char *group, int rootginst);
int pvm_scatter(void *result, void *data, int count, int datatype, int msgtag,
                char *group, int rootginst);
int pvm_reduce(void (*func)(int *datatype, void *x, void *y, int *num,
                            int *info),
               void *data, int count, int datatype, int msgtag, char *group,
               int rootginst);

/* Predefined reduction functions for pvm_reduce: y[i] = op(x[i], y[i]). */
void PvmMax(int *datatype, void *x, void *y, int *num, int *info);
void PvmMin(int *datatype, void *x, void *y, int *num, int *info);
void PvmSum(int *datatype, void *x, void *y, int *num, int *info);
void PvmProduct(int *datatype, void *x, void *y, int *num, int *info);

/* ---- Registration of system services ----------------------------------- */

int pvm_reg_hoster(void);
int pvm_reg_tasker(void);
int pvm_reg_rm(struct pvmhostinfo **hip);
int pvm_reg_tracer(int tctx, int ttag, int octx, int otag, char *tmask,
                   int tbuf, int topt);

/* ---- Calls from PVM 3.3 kept only on request --------------------------- */

#ifdef PVM33COMPAT
int pvm_getmwid(int bufid);
int pvm_setmwid(int bufid, int waitid);
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PVM3_H_ */

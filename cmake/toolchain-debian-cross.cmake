# Shared part of the cross toolchain files (toolchain-s390x.cmake,
# toolchain-aarch64.cmake): Debian's cross compilers for PVMNG_TRIPLET, a
# sysroot of that architecture's Debian packages unpacked by
# deploy/cross-build.sh (never installed into the host's dpkg, so the host's
# own libraries stay as they are), and qemu-user to run what is built.
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${PVMNG_TRIPLET}-gcc)
find_program(PVMNG_CROSS_FC ${PVMNG_TRIPLET}-gfortran)
if(PVMNG_CROSS_FC)
  set(CMAKE_Fortran_COMPILER ${PVMNG_CROSS_FC})
endif()

# The sysroot: from the cache (-DPVMNG_SYSROOT=...), else the environment,
# else where deploy/cross-build.sh puts it. Toolchain files are read again
# by try_compile projects, which see only the environment, hence both.
if(NOT PVMNG_SYSROOT)
  if(DEFINED ENV{PVMNG_SYSROOT})
    set(PVMNG_SYSROOT $ENV{PVMNG_SYSROOT})
  else()
    set(PVMNG_SYSROOT /opt/pvmng-sysroot/${CMAKE_SYSTEM_PROCESSOR})
  endif()
endif()
set(ENV{PVMNG_SYSROOT} ${PVMNG_SYSROOT})
set(CMAKE_SYSROOT ${PVMNG_SYSROOT})
set(CMAKE_FIND_ROOT_PATH ${PVMNG_SYSROOT})
set(CMAKE_LIBRARY_ARCHITECTURE ${PVMNG_TRIPLET})

# Programs (protoc-c above all) are the build host's; libraries, headers and
# packages only the sysroot's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and prefixes their paths.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${PVMNG_SYSROOT}/usr/lib/${PVMNG_TRIPLET}/pkgconfig:${PVMNG_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${PVMNG_SYSROOT})

# Shared libraries pulled in by others (libedit needs libbsd and libtinfo)
# are looked up in the sysroot by the linker too.
foreach(_d lib/${PVMNG_TRIPLET} usr/lib/${PVMNG_TRIPLET})
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${PVMNG_SYSROOT}/${_d}")
  string(APPEND CMAKE_SHARED_LINKER_FLAGS_INIT " -Wl,-rpath-link,${PVMNG_SYSROOT}/${_d}")
endforeach()

# ctest runs the built programs through qemu with the sysroot's loader and
# libraries.
find_program(PVMNG_QEMU qemu-${PVMNG_QEMU_ARCH}-static)
if(PVMNG_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PVMNG_QEMU} -L ${PVMNG_SYSROOT})
endif()

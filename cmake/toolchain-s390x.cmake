# Cross build for IBM Z (s390x): 64-bit, big-endian. Used by
# deploy/cross-build.sh s390x; see docs/heterogeneous.md.
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(PVMNG_TRIPLET s390x-linux-gnu)
set(PVMNG_QEMU_ARCH s390x)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)

# Cross build for 64-bit ARM (aarch64): 64-bit, little-endian. Used by
# deploy/cross-build.sh aarch64; see docs/heterogeneous.md.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PVMNG_TRIPLET aarch64-linux-gnu)
set(PVMNG_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)

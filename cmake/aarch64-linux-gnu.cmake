# Cross-build finrst for arm64 (aarch64) on a Debian host:
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install gcc-aarch64-linux-gnu libbpf-dev:arm64 libelf-dev:arm64 \
#       zlib1g-dev:arm64 libjson-c-dev:arm64 libcap-ng-dev:arm64 \
#       libmicrohttpd-dev:arm64
#   cmake -S . -B build-arm64 \
#       -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   cmake --build build-arm64 --target finrst finrst-scenario
#
# (tools/setup installs all of it.) The BPF object is compiled by the
# host's clang for -target bpf with -D__TARGET_ARCH_arm64 against
# bpf/vmlinux/arm64/vmlinux.h: CMakeLists.txt picks both from
# CMAKE_SYSTEM_PROCESSOR. The libraries come from Debian's multiarch
# folders (/usr/lib/aarch64-linux-gnu), the headers from /usr/include,
# which the cross compiler searches itself.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(FINRST_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${FINRST_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${FINRST_CROSS_TRIPLE}-g++)
set(CMAKE_AR ${FINRST_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${FINRST_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_LIBRARY_ARCHITECTURE ${FINRST_CROSS_TRIPLE})

# pkg-config: the arm64 .pc files only, never the host's
set(ENV{PKG_CONFIG_LIBDIR}
	"/usr/lib/${FINRST_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# programs (clang, bpftool) from the host, libraries and headers for arm64
set(CMAKE_FIND_ROOT_PATH /usr/${FINRST_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

#!/usr/bin/env bash
# Installs lavaflow into a temporary prefix, then builds and runs an outside C program
# against it three ways: pkg-config, CMake find_package (shared), and find_package (static);
# and an outside C++ program through the installed C++ wrapper; where built, liblavaflow_mpi and
# the Fortran modules likewise.
# usage: check_install.sh BUILD_DIR CONSUMER_SOURCE_DIR
set -euo pipefail
build=$1 consumer=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
for f in include/lavaflow/lavaflow.h include/lavaflow/lavaflow.hpp lib/liblavaflow.so.0 lib/liblavaflow.a \
         lib/pkgconfig/lavaflow.pc lib/cmake/lavaflow/lavaflowConfig.cmake \
         lib/cmake/lavaflow/lavaflowConfigVersion.cmake bin/lavaflow; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f was not installed"; ls -R "$prefix"; exit 1; }
done

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
echo "== pkg-config: $(pkg-config --cflags --libs lavaflow)"
cc -std=c99 -Wall -Werror -o "$tmp/consumer_pc" "$consumer/consumer.c" $(pkg-config --cflags --libs lavaflow)
LD_LIBRARY_PATH=$prefix/lib "$tmp/consumer_pc" | tee "$tmp/pc.out"
grep -q "^consumer: lavaflow $(pkg-config --modversion lavaflow), scope process" "$tmp/pc.out"

echo "== pkg-config, the C++20 wrapper (lavaflow.hpp and its cpp/ headers)"
c++ -std=c++20 -Wall -Wextra -Wpedantic -Wconversion -Wold-style-cast -Werror -o "$tmp/consumer_cpp" \
  "$consumer/consumer.cpp" $(pkg-config --cflags --libs lavaflow)
LD_LIBRARY_PATH=$prefix/lib "$tmp/consumer_cpp" | tee "$tmp/cpp.out"
grep -q "scope process, received 42" "$tmp/cpp.out"

echo "== pkg-config --static"
cc -std=c99 -Wall -Werror -o "$tmp/consumer_pc_static" "$consumer/consumer.c" \
  $(pkg-config --cflags lavaflow) -DLF_STATIC "$prefix/lib/liblavaflow.a" $(pkg-config --static --libs lavaflow | sed "s/-llavaflow//")
static_out=$("$tmp/consumer_pc_static")
grep -q "scope process" <<< "$static_out" || { echo "FAIL: static consumer printed: $static_out"; exit 1; }
if grep -q liblavaflow <<< "$(ldd "$tmp/consumer_pc_static")"; then
  echo "FAIL: the static consumer still loads liblavaflow.so"; exit 1
fi

for kind in shared static; do
  echo "== find_package(lavaflow), $kind"
  cmake -S "$consumer" -B "$tmp/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_LINK="$kind" > "$tmp/cmake-$kind.log"
  cmake --build "$tmp/cmake-$kind" > "$tmp/build-$kind.log"
  LD_LIBRARY_PATH=$prefix/lib "$tmp/cmake-$kind/consumer" | tee "$tmp/$kind.out"
  grep -q "scope process" "$tmp/$kind.out"
done
# liblavaflow_mpi, where it was built: pkg-config and find_package(lavaflow COMPONENTS mpi); the
# program attaches MPI_COMM_WORLD as a singleton (no mpirun).
if [ -e "$prefix/lib/liblavaflow_mpi.so" ]; then
  echo "== pkg-config lavaflow_mpi: $(pkg-config --cflags --libs lavaflow_mpi)"
  cc -std=c99 -Wall -Werror -o "$tmp/consumer_mpi_pc" "$consumer/consumer_mpi.c" $(pkg-config --cflags --libs lavaflow_mpi)
  LD_LIBRARY_PATH=$prefix/lib OMPI_MCA_btl=self "$tmp/consumer_mpi_pc" | tee "$tmp/mpi_pc.out"
  grep -q "rank 0 of 1" "$tmp/mpi_pc.out"
  echo "== find_package(lavaflow COMPONENTS mpi)"
  cmake -S "$consumer" -B "$tmp/cmake-mpi" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_MPI=ON > "$tmp/cmake-mpi.log"
  cmake --build "$tmp/cmake-mpi" > "$tmp/build-mpi.log"
  LD_LIBRARY_PATH=$prefix/lib OMPI_MCA_btl=self "$tmp/cmake-mpi/consumer_mpi" | tee "$tmp/mpi.out"
  grep -q "rank 0 of 1" "$tmp/mpi.out"
fi
# The Fortran modules, where they were built: pkg-config (gfortran; mpifort for lavaflow_mpi)
# and find_package(lavaflow COMPONENTS fortran [mpi mpi_fortran]).
if [ -e "$prefix/lib/liblavaflow_fortran.a" ]; then
  [ -e "$prefix/include/lavaflow/fortran/lavaflow.mod" ] || { echo "FAIL: lavaflow.mod was not installed"; exit 1; }
  echo "== pkg-config lavaflow-fortran: $(pkg-config --cflags --libs lavaflow-fortran)"
  gfortran -o "$tmp/consumer_f_pc" "$consumer/consumer.f90" $(pkg-config --cflags --libs lavaflow-fortran)
  LD_LIBRARY_PATH=$prefix/lib "$tmp/consumer_f_pc" | tee "$tmp/f_pc.out"
  grep -q "received 42.0" "$tmp/f_pc.out"
  echo "== find_package(lavaflow COMPONENTS fortran)"
  cmake -S "$consumer" -B "$tmp/cmake-f" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_FORTRAN=ON > "$tmp/cmake-f.log"
  cmake --build "$tmp/cmake-f" > "$tmp/build-f.log"
  LD_LIBRARY_PATH=$prefix/lib "$tmp/cmake-f/consumer_f" | grep "received 42.0"
  if [ -e "$prefix/lib/liblavaflow_mpi_fortran.a" ]; then
    echo "== pkg-config lavaflow_mpi-fortran: $(pkg-config --cflags --libs lavaflow_mpi-fortran)"
    mpifort -o "$tmp/consumer_mpi_f_pc" "$consumer/consumer_mpi.f90" $(pkg-config --cflags --libs lavaflow_mpi-fortran)
    LD_LIBRARY_PATH=$prefix/lib OMPI_MCA_btl=self "$tmp/consumer_mpi_f_pc" | grep "rank 0 of 1"
    echo "== find_package(lavaflow COMPONENTS fortran mpi mpi_fortran)"
    cmake -S "$consumer" -B "$tmp/cmake-mpi-f" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_FORTRAN=ON -DCONSUMER_MPI=ON \
      > "$tmp/cmake-mpi-f.log"
    cmake --build "$tmp/cmake-mpi-f" > "$tmp/build-mpi-f.log"
    LD_LIBRARY_PATH=$prefix/lib OMPI_MCA_btl=self "$tmp/cmake-mpi-f/consumer_mpi_f" | grep "rank 0 of 1"
  fi
fi
# the version file refuses an incompatible major version
if cmake -S "$consumer" -B "$tmp/cmake-v99" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_VERSION=99.0 > "$tmp/v99.log" 2>&1; then
  echo "FAIL: find_package(lavaflow 99.0) succeeded"; exit 1
fi
echo "ok: installed headers, libraries, lavaflow.pc and lavaflowConfig.cmake all work"

#!/usr/bin/env bash
# Installs every build and run dependency of sievesim from Debian 12 packages.
# Idempotent: packages already present are skipped, and `apt-get update` runs only
# when something is actually missing. Slurm and munge are for jobs/ and its test
# (tests/cli/test_slurm.sh starts its own one-node cluster; installing them starts no daemon
# here, and on a machine with systemd the test's cluster uses its own ports and files);
# libpmix2 is what srun --mpi=pmix loads at run time.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake make pkg-config git ca-certificates
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libboost-mpi-dev libboost-serialization-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libyaml-cpp-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  zlib1g-dev
  python3 python3-h5py python3-numpy python3-yaml python3-matplotlib bc
  slurm-wlm slurm-wlm-basic-plugins munge libpmix2
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

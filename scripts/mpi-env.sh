# Sourced by the scripts that start MPI jobs: OpenMPI refuses to run as root unless told, and
# the test machines have fewer cores than ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Containers often forbid the cross-memory-attach syscalls OpenMPI's shared-memory transport uses.
export OMPI_MCA_btl_vader_single_copy_mechanism=none

! Module `lavaflow`: everything lavaflow offers Fortran in one `use`.
!
! - lavaflow_c's raw layer, re-exported: every constant (LF_OK, LF_ERR_*, LF_DTYPE_*, ...), every
!   params/info struct as a bind(C) derived type, every C function as a bind(C) interface;
! - except the functions returning C text, which return Fortran strings here
!   (lf_status_string, lf_status_name, lf_last_error_message, lf_version_string, ...);
! - the friendly types: lf_context, lf_identity, lf_scope, lf_buffer, lf_channel,
!   lf_pool_driver, lf_pool_producer, lf_pool_consumer, lf_frame, lf_semaphore; and lf_c_f_pointer.
!
! See docs/fortran.md for the array and lifetime rules.
module lavaflow
  use lavaflow_c, c_status_string => lf_status_string, c_status_name => lf_status_name, &
                  c_last_error_message => lf_last_error_message, c_version_string => lf_version_string, &
                  c_feature_name => lf_feature_name, c_log_level_name => lf_log_level_name, &
                  c_topology_object_type_name => lf_topology_object_type_name, &
                  c_scope_level_name => lf_scope_level_name, c_mechanism_name => lf_mechanism_name, &
                  c_memory_kind_name => lf_memory_kind_name, c_device_type_name => lf_device_type_name, &
                  c_transport_name => lf_transport_name, c_dtype_name => lf_dtype_name, &
                  c_semaphore_kind_name => lf_semaphore_kind_name
  use lavaflow_text, only: lf_status_string, lf_status_name, lf_last_error_message, lf_version_string, &
                           lf_feature_name, lf_log_level_name, lf_topology_object_type_name, lf_scope_level_name, &
                           lf_mechanism_name, lf_memory_kind_name, lf_device_type_name, lf_transport_name, &
                           lf_dtype_name, lf_semaphore_kind_name
  use lavaflow_arrays, only: lf_c_f_pointer
  use lavaflow_core
  use lavaflow_memory
  use lavaflow_channels
  use lavaflow_pool
  use lavaflow_sync
  implicit none
  public
  ! (the raw text functions stay reachable as lavaflow_c's, under their C names, there)
  private :: c_status_string, c_status_name, c_last_error_message, c_version_string, c_feature_name, &
             c_log_level_name, c_topology_object_type_name, c_scope_level_name, c_mechanism_name, &
             c_memory_kind_name, c_device_type_name, c_transport_name, c_dtype_name, c_semaphore_kind_name
end module lavaflow

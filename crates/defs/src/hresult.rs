//! `HRESULT`: the 32-bit status every function of the family returns, and
//! the values these functions return on Windows.
//!
//! The `WHV_E_*` codes are those of Windows' `winerror.h` (facility 0x37,
//! `0x8037_03xx`), checked against `windows-sys`. Some documentation lists
//! them as `0xC035_00xx`: those are the hypervisor's own statuses. WHP
//! passes such a status through when the hypervisor refuses a request, as
//! the `ERROR_HV_*` codes below (`0xC035_xxxx`; `HRESULT_FROM_WIN32` leaves
//! them unchanged because they are already negative).
//!
//! Also here: the saved-state reader's `VM_SAVED_STATE_DUMP_E_*`, the Host
//! Compute System's `HCS_E_*` (which the HDV functions return), and the
//! `HRESULT_FROM_WIN32` values of the Win32 errors the four libraries use
//! (`HRESULT_ERROR_*`). Where two Windows names share a value (for instance
//! `E_INVALIDARG` and `HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`), the
//! second is an alias outside [`ALL_HRESULTS`], so that [`HRESULT::name`]
//! answers the usual one.

/// A Windows status code. Negative values are failures.
#[repr(transparent)]
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct HRESULT(pub i32);

impl HRESULT {
    /// True for success codes (`S_OK`, `S_FALSE`, …).
    pub const fn is_ok(self) -> bool {
        self.0 >= 0
    }
    /// True for failure codes.
    pub const fn is_err(self) -> bool {
        self.0 < 0
    }
    /// The HRESULT for a Win32 error code, as `HRESULT_FROM_WIN32` builds it.
    pub const fn from_win32(code: u32) -> Self {
        if code as i32 <= 0 {
            HRESULT(code as i32)
        } else {
            HRESULT(((code & 0xffff) | (7 << 16) | 0x8000_0000) as i32)
        }
    }
    /// The symbolic name of a code this crate defines, if any.
    pub fn name(self) -> Option<&'static str> {
        ALL_HRESULTS
            .iter()
            .find(|(h, _)| *h == self)
            .map(|(_, n)| *n)
    }
}

impl core::fmt::Debug for HRESULT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:08X})", self.0 as u32),
            None => write!(f, "HRESULT(0x{:08X})", self.0 as u32),
        }
    }
}

impl core::fmt::Display for HRESULT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

macro_rules! hresults {
    ($( $(#[$m:meta])* $name:ident = $value:expr; )*) => {
        $(
            $(#[$m])*
            pub const $name: HRESULT = HRESULT($value as u32 as i32);
        )*
        /// Every code above with its name, for `Debug` output and tests.
        pub const ALL_HRESULTS: &[(HRESULT, &str)] = &[$(($name, stringify!($name))),*];
    };
}

hresults! {
    /// Success.
    S_OK = 0x0000_0000;
    /// Success, with a negative answer.
    S_FALSE = 0x0000_0001;
    /// Not implemented.
    E_NOTIMPL = 0x8000_4001;
    /// No such interface supported.
    E_NOINTERFACE = 0x8000_4002;
    /// Invalid pointer.
    E_POINTER = 0x8000_4003;
    /// Operation aborted.
    E_ABORT = 0x8000_4004;
    /// Unspecified failure.
    E_FAIL = 0x8000_4005;
    /// Catastrophic failure.
    E_UNEXPECTED = 0x8000_FFFF;
    /// Access denied.
    E_ACCESSDENIED = 0x8007_0005;
    /// Invalid handle.
    E_HANDLE = 0x8007_0006;
    /// Out of memory.
    E_OUTOFMEMORY = 0x8007_000E;
    /// Invalid argument.
    E_INVALIDARG = 0x8007_0057;
    /// The request is not supported (`HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`).
    HRESULT_ERROR_NOT_SUPPORTED = 0x8007_0032;
    /// The data area passed is too small (`HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)`).
    HRESULT_ERROR_INSUFFICIENT_BUFFER = 0x8007_007A;
    /// The object is in the wrong state (`HRESULT_FROM_WIN32(ERROR_INVALID_STATE)`).
    HRESULT_ERROR_INVALID_STATE = 0x8007_139F;
    /// The feature is not present (`HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`).
    HRESULT_ERROR_NOT_FOUND = 0x8007_0490;
    /// Unknown capability code.
    WHV_E_UNKNOWN_CAPABILITY = 0x8037_0300;
    /// The buffer is too small for the answer.
    WHV_E_INSUFFICIENT_BUFFER = 0x8037_0301;
    /// Unknown property code.
    WHV_E_UNKNOWN_PROPERTY = 0x8037_0302;
    /// The partition's configuration is invalid for the request.
    WHV_E_INVALID_PARTITION_CONFIG = 0x8037_0304;
    /// No GPA range is mapped there.
    WHV_E_GPA_RANGE_NOT_FOUND = 0x8037_0305;
    /// A VP with that index exists already.
    WHV_E_VP_ALREADY_EXISTS = 0x8037_0306;
    /// No VP with that index exists.
    WHV_E_VP_DOES_NOT_EXIST = 0x8037_0307;
    /// The VP is in a state that does not allow the request.
    WHV_E_INVALID_VP_STATE = 0x8037_0308;
    /// The register name is unknown or not available.
    WHV_E_INVALID_VP_REGISTER_NAME = 0x8037_0309;
    /// The hypervisor does not support the requested configuration.
    WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG = 0x8037_0303;
    /// The processor does not support the requested configuration.
    WHV_E_UNSUPPORTED_PROCESSOR_CONFIG = 0x8037_0310;
    /// The data necessary to complete the operation is not yet available.
    E_PENDING = 0x8000_000A;
    /// An index or size is out of bounds.
    E_BOUNDS = 0x8000_000B;
    /// Incorrect function (`HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)`).
    HRESULT_ERROR_INVALID_FUNCTION = 0x8007_0001;
    /// The file was not found (`HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`).
    HRESULT_ERROR_FILE_NOT_FOUND = 0x8007_0002;
    /// The path was not found (`HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)`).
    HRESULT_ERROR_PATH_NOT_FOUND = 0x8007_0003;
    /// Not enough memory (`HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY)`).
    HRESULT_ERROR_NOT_ENOUGH_MEMORY = 0x8007_0008;
    /// The file is not in a known format (`HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)`).
    HRESULT_ERROR_BAD_FORMAT = 0x8007_000B;
    /// The data is invalid (`HRESULT_FROM_WIN32(ERROR_INVALID_DATA)`).
    HRESULT_ERROR_INVALID_DATA = 0x8007_000D;
    /// A length is wrong (`HRESULT_FROM_WIN32(ERROR_BAD_LENGTH)`).
    HRESULT_ERROR_BAD_LENGTH = 0x8007_0018;
    /// The file is in use (`HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION)`).
    HRESULT_ERROR_SHARING_VIOLATION = 0x8007_0020;
    /// Reached the end of the file (`HRESULT_FROM_WIN32(ERROR_HANDLE_EOF)`).
    HRESULT_ERROR_HANDLE_EOF = 0x8007_0026;
    /// The object exists already (`HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)`).
    HRESULT_ERROR_ALREADY_EXISTS = 0x8007_00B7;
    /// More data is available than fits (`HRESULT_FROM_WIN32(ERROR_MORE_DATA)`).
    HRESULT_ERROR_MORE_DATA = 0x8007_00EA;
    /// Only part of a read or write completed (`HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY)`).
    HRESULT_ERROR_PARTIAL_COPY = 0x8007_012B;
    /// The operation was canceled (`HRESULT_FROM_WIN32(ERROR_CANCELLED)`).
    HRESULT_ERROR_CANCELLED = 0x8007_04C7;
    /// The file is corrupt (`HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT)`).
    HRESULT_ERROR_FILE_CORRUPT = 0x8007_0570;
    /// Insufficient system resources exist to complete the requested service
    /// (`HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)`).
    HRESULT_ERROR_NO_SYSTEM_RESOURCES = 0x8007_05AA;
    // Host Compute System (computecore.dll) codes; the HDV functions pass them through.
    /// HCS: terminated during start.
    HCS_E_TERMINATED_DURING_START = 0x8037_0100;
    /// HCS: image mismatch.
    HCS_E_IMAGE_MISMATCH = 0x8037_0101;
    /// HCS: hyperv not installed.
    HCS_E_HYPERV_NOT_INSTALLED = 0x8037_0102;
    /// HCS: invalid state.
    HCS_E_INVALID_STATE = 0x8037_0105;
    /// HCS: unexpected exit.
    HCS_E_UNEXPECTED_EXIT = 0x8037_0106;
    /// HCS: terminated.
    HCS_E_TERMINATED = 0x8037_0107;
    /// HCS: connect failed.
    HCS_E_CONNECT_FAILED = 0x8037_0108;
    /// HCS: connection timeout.
    HCS_E_CONNECTION_TIMEOUT = 0x8037_0109;
    /// HCS: connection closed.
    HCS_E_CONNECTION_CLOSED = 0x8037_010A;
    /// HCS: unknown message.
    HCS_E_UNKNOWN_MESSAGE = 0x8037_010B;
    /// HCS: unsupported protocol version.
    HCS_E_UNSUPPORTED_PROTOCOL_VERSION = 0x8037_010C;
    /// HCS: invalid json.
    HCS_E_INVALID_JSON = 0x8037_010D;
    /// HCS: system not found.
    HCS_E_SYSTEM_NOT_FOUND = 0x8037_010E;
    /// HCS: system already exists.
    HCS_E_SYSTEM_ALREADY_EXISTS = 0x8037_010F;
    /// HCS: system already stopped.
    HCS_E_SYSTEM_ALREADY_STOPPED = 0x8037_0110;
    /// HCS: protocol error.
    HCS_E_PROTOCOL_ERROR = 0x8037_0111;
    /// HCS: invalid layer.
    HCS_E_INVALID_LAYER = 0x8037_0112;
    /// HCS: windows insider required.
    HCS_E_WINDOWS_INSIDER_REQUIRED = 0x8037_0113;
    /// HCS: service not available.
    HCS_E_SERVICE_NOT_AVAILABLE = 0x8037_0114;
    /// HCS: operation not started.
    HCS_E_OPERATION_NOT_STARTED = 0x8037_0115;
    /// HCS: operation already started.
    HCS_E_OPERATION_ALREADY_STARTED = 0x8037_0116;
    /// HCS: operation pending.
    HCS_E_OPERATION_PENDING = 0x8037_0117;
    /// HCS: operation timeout.
    HCS_E_OPERATION_TIMEOUT = 0x8037_0118;
    /// HCS: operation system callback already set.
    HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET = 0x8037_0119;
    /// HCS: operation result allocation failed.
    HCS_E_OPERATION_RESULT_ALLOCATION_FAILED = 0x8037_011A;
    /// HCS: access denied.
    HCS_E_ACCESS_DENIED = 0x8037_011B;
    /// HCS: guest critical error.
    HCS_E_GUEST_CRITICAL_ERROR = 0x8037_011C;
    /// HCS: process info not available.
    HCS_E_PROCESS_INFO_NOT_AVAILABLE = 0x8037_011D;
    /// HCS: service disconnect.
    HCS_E_SERVICE_DISCONNECT = 0x8037_011E;
    /// HCS: process already stopped.
    HCS_E_PROCESS_ALREADY_STOPPED = 0x8037_011F;
    /// HCS: system not configured for operation.
    HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION = 0x8037_0120;
    /// HCS: operation already cancelled.
    HCS_E_OPERATION_ALREADY_CANCELLED = 0x8037_0121;
    // vmsavedstatedumpprovider.dll codes (facility 0x37, severity bits 0xC).
    /// Saved-state dump: partition state not found.
    VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND = 0xC037_0500;
    /// Saved-state dump: guest memory not found.
    VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND = 0xC037_0501;
    /// Saved-state dump: no vp found in partition state.
    VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE = 0xC037_0502;
    /// Saved-state dump: nested virtualization not supported.
    VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED = 0xC037_0503;
    /// Saved-state dump: windows kernel image not found.
    VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND = 0xC037_0504;
    /// Saved-state dump: va not mapped.
    VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED = 0xC037_0505;
    /// Saved-state dump: invalid vp state.
    VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE = 0xC037_0506;
    /// Saved-state dump: vp vtl not enabled.
    VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED = 0xC037_0509;
    // Hypervisor statuses (facility 0x35) that WHP passes through unchanged.
    /// Hypervisor status: pending page requests.
    ERROR_HV_PENDING_PAGE_REQUESTS = 0x0035_0059;
    /// Hypervisor status: invalid hypercall code.
    ERROR_HV_INVALID_HYPERCALL_CODE = 0xC035_0002;
    /// Hypervisor status: invalid hypercall input.
    ERROR_HV_INVALID_HYPERCALL_INPUT = 0xC035_0003;
    /// Hypervisor status: invalid alignment.
    ERROR_HV_INVALID_ALIGNMENT = 0xC035_0004;
    /// Hypervisor status: invalid parameter.
    ERROR_HV_INVALID_PARAMETER = 0xC035_0005;
    /// Hypervisor status: access denied.
    ERROR_HV_ACCESS_DENIED = 0xC035_0006;
    /// Hypervisor status: invalid partition state.
    ERROR_HV_INVALID_PARTITION_STATE = 0xC035_0007;
    /// Hypervisor status: operation denied.
    ERROR_HV_OPERATION_DENIED = 0xC035_0008;
    /// Hypervisor status: unknown property.
    ERROR_HV_UNKNOWN_PROPERTY = 0xC035_0009;
    /// Hypervisor status: property value out of range.
    ERROR_HV_PROPERTY_VALUE_OUT_OF_RANGE = 0xC035_000A;
    /// Hypervisor status: insufficient memory.
    ERROR_HV_INSUFFICIENT_MEMORY = 0xC035_000B;
    /// Hypervisor status: partition too deep.
    ERROR_HV_PARTITION_TOO_DEEP = 0xC035_000C;
    /// Hypervisor status: invalid partition id.
    ERROR_HV_INVALID_PARTITION_ID = 0xC035_000D;
    /// Hypervisor status: invalid vp index.
    ERROR_HV_INVALID_VP_INDEX = 0xC035_000E;
    /// Hypervisor status: invalid port id.
    ERROR_HV_INVALID_PORT_ID = 0xC035_0011;
    /// Hypervisor status: invalid connection id.
    ERROR_HV_INVALID_CONNECTION_ID = 0xC035_0012;
    /// Hypervisor status: insufficient buffers.
    ERROR_HV_INSUFFICIENT_BUFFERS = 0xC035_0013;
    /// Hypervisor status: not acknowledged.
    ERROR_HV_NOT_ACKNOWLEDGED = 0xC035_0014;
    /// Hypervisor status: invalid vp state.
    ERROR_HV_INVALID_VP_STATE = 0xC035_0015;
    /// Hypervisor status: acknowledged.
    ERROR_HV_ACKNOWLEDGED = 0xC035_0016;
    /// Hypervisor status: invalid save restore state.
    ERROR_HV_INVALID_SAVE_RESTORE_STATE = 0xC035_0017;
    /// Hypervisor status: invalid synic state.
    ERROR_HV_INVALID_SYNIC_STATE = 0xC035_0018;
    /// Hypervisor status: object in use.
    ERROR_HV_OBJECT_IN_USE = 0xC035_0019;
    /// Hypervisor status: invalid proximity domain info.
    ERROR_HV_INVALID_PROXIMITY_DOMAIN_INFO = 0xC035_001A;
    /// Hypervisor status: no data.
    ERROR_HV_NO_DATA = 0xC035_001B;
    /// Hypervisor status: inactive.
    ERROR_HV_INACTIVE = 0xC035_001C;
    /// Hypervisor status: no resources.
    ERROR_HV_NO_RESOURCES = 0xC035_001D;
    /// Hypervisor status: feature unavailable.
    ERROR_HV_FEATURE_UNAVAILABLE = 0xC035_001E;
    /// Hypervisor status: insufficient buffer.
    ERROR_HV_INSUFFICIENT_BUFFER = 0xC035_0033;
    /// Hypervisor status: insufficient device domains.
    ERROR_HV_INSUFFICIENT_DEVICE_DOMAINS = 0xC035_0038;
    /// Hypervisor status: cpuid feature validation.
    ERROR_HV_CPUID_FEATURE_VALIDATION = 0xC035_003C;
    /// Hypervisor status: cpuid xsave feature validation.
    ERROR_HV_CPUID_XSAVE_FEATURE_VALIDATION = 0xC035_003D;
    /// Hypervisor status: processor startup timeout.
    ERROR_HV_PROCESSOR_STARTUP_TIMEOUT = 0xC035_003E;
    /// Hypervisor status: smx enabled.
    ERROR_HV_SMX_ENABLED = 0xC035_003F;
    /// Hypervisor status: invalid lp index.
    ERROR_HV_INVALID_LP_INDEX = 0xC035_0041;
    /// Hypervisor status: invalid register value.
    ERROR_HV_INVALID_REGISTER_VALUE = 0xC035_0050;
    /// Hypervisor status: invalid vtl state.
    ERROR_HV_INVALID_VTL_STATE = 0xC035_0051;
    /// Hypervisor status: nx not detected.
    ERROR_HV_NX_NOT_DETECTED = 0xC035_0055;
    /// Hypervisor status: invalid device id.
    ERROR_HV_INVALID_DEVICE_ID = 0xC035_0057;
    /// Hypervisor status: invalid device state.
    ERROR_HV_INVALID_DEVICE_STATE = 0xC035_0058;
    /// Hypervisor status: page request invalid.
    ERROR_HV_PAGE_REQUEST_INVALID = 0xC035_0060;
    /// Hypervisor status: invalid cpu group id.
    ERROR_HV_INVALID_CPU_GROUP_ID = 0xC035_006F;
    /// Hypervisor status: invalid cpu group state.
    ERROR_HV_INVALID_CPU_GROUP_STATE = 0xC035_0070;
    /// Hypervisor status: operation failed.
    ERROR_HV_OPERATION_FAILED = 0xC035_0071;
    /// Hypervisor status: not allowed with nested virt active.
    ERROR_HV_NOT_ALLOWED_WITH_NESTED_VIRT_ACTIVE = 0xC035_0072;
    /// Hypervisor status: insufficient root memory.
    ERROR_HV_INSUFFICIENT_ROOT_MEMORY = 0xC035_0073;
    /// Hypervisor status: event buffer already freed.
    ERROR_HV_EVENT_BUFFER_ALREADY_FREED = 0xC035_0074;
    /// Hypervisor status: insufficient contiguous memory.
    ERROR_HV_INSUFFICIENT_CONTIGUOUS_MEMORY = 0xC035_0075;
    /// Hypervisor status: device not in domain.
    ERROR_HV_DEVICE_NOT_IN_DOMAIN = 0xC035_0076;
    /// Hypervisor status: nested vm exit.
    ERROR_HV_NESTED_VM_EXIT = 0xC035_0077;
    /// Hypervisor status: msr access failed.
    ERROR_HV_MSR_ACCESS_FAILED = 0xC035_0080;
    /// Hypervisor status: insufficient memory mirroring.
    ERROR_HV_INSUFFICIENT_MEMORY_MIRRORING = 0xC035_0081;
    /// Hypervisor status: insufficient contiguous memory mirroring.
    ERROR_HV_INSUFFICIENT_CONTIGUOUS_MEMORY_MIRRORING = 0xC035_0082;
    /// Hypervisor status: insufficient contiguous root memory.
    ERROR_HV_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY = 0xC035_0083;
    /// Hypervisor status: insufficient root memory mirroring.
    ERROR_HV_INSUFFICIENT_ROOT_MEMORY_MIRRORING = 0xC035_0084;
    /// Hypervisor status: insufficient contiguous root memory mirroring.
    ERROR_HV_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY_MIRRORING = 0xC035_0085;
    /// Hypervisor status: not present.
    ERROR_HV_NOT_PRESENT = 0xC035_1000;
}

/// `HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`: the same value as [`E_INVALIDARG`].
pub const HRESULT_ERROR_INVALID_PARAMETER: HRESULT = E_INVALIDARG;
/// `HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)`: the same value as [`E_HANDLE`].
pub const HRESULT_ERROR_INVALID_HANDLE: HRESULT = E_HANDLE;
/// `HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)`: the same value as [`E_ACCESSDENIED`].
pub const HRESULT_ERROR_ACCESS_DENIED: HRESULT = E_ACCESSDENIED;
/// `HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)`: the same value as [`E_OUTOFMEMORY`].
pub const HRESULT_ERROR_OUTOFMEMORY: HRESULT = E_OUTOFMEMORY;
/// `E_NOT_VALID_STATE` (`winerror.h`): the same value as [`HRESULT_ERROR_INVALID_STATE`].
pub const E_NOT_VALID_STATE: HRESULT = HRESULT_ERROR_INVALID_STATE;
/// `E_NOT_SET` (`winerror.h`): the same value as [`HRESULT_ERROR_NOT_FOUND`].
pub const E_NOT_SET: HRESULT = HRESULT_ERROR_NOT_FOUND;
/// `E_NOT_SUFFICIENT_BUFFER` (`winerror.h`): the same value as
/// [`HRESULT_ERROR_INSUFFICIENT_BUFFER`].
pub const E_NOT_SUFFICIENT_BUFFER: HRESULT = HRESULT_ERROR_INSUFFICIENT_BUFFER;

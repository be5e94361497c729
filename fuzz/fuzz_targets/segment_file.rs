#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| l2x::fuzzing::segment_file(data));

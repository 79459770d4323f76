#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth2u_core::fuzz::claims_request(data));

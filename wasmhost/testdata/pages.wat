;; pages: writes the pages an event names, after checking that each still
;; holds what the image has there (dirty-page resets, reset_test.go). The
;; event is three little-endian u32s: first page, count, stride (in 4 KB
;; pages). Pages 0-63 (256 KB) of the image hold 0x11 from a data segment,
;; the rest of its 64 wasm pages zeros. The answer is "clean", or "dirty"
;; if a page held anything else, i.e. an earlier invocation's write.
(module
  (import "fresco" "invocation_event_read" (func $read (param i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 64 64)
  (data (i32.const 65536) "\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11")
  (func $fill
    ;; pages 16..63 (bytes 64 KB..256 KB) hold 0x11: one byte of the data
    ;; segment above spread by memory.fill during init
    (memory.fill (i32.const 65536) (i32.const 0x11) (i32.const 196608)))
  (func (export "_initialize") (call $fill))
  (func (export "fresco_snapshot"))
  (func (export "fresco_handle")
    (local $page i32) (local $n i32) (local $stride i32) (local $addr i32) (local $dirty i32) (local $want i32)
    (drop (call $read (i32.const 16) (i32.const 12)))
    (local.set $page (i32.load (i32.const 16)))
    (local.set $n (i32.load (i32.const 20)))
    (local.set $stride (i32.load (i32.const 24)))
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $addr (i32.mul (local.get $page) (i32.const 4096)))
        (local.set $want (select (i32.const 0x11) (i32.const 0)
          (i32.and (i32.ge_u (local.get $addr) (i32.const 65536)) (i32.lt_u (local.get $addr) (i32.const 262144)))))
        (if (i32.ne (i32.load8_u offset=100 (local.get $addr)) (local.get $want))
          (then (local.set $dirty (i32.const 1))))
        (i32.store8 offset=100 (local.get $addr) (i32.const 0xEE))
        (local.set $page (i32.add (local.get $page) (local.get $stride)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $each)))
    (if (local.get $dirty)
      (then
        (i32.store (i32.const 0) (i32.const 0x74726964))
        (i32.store8 (i32.const 4) (i32.const 0x79)))
      (else
        (i32.store (i32.const 0) (i32.const 0x61656c63))
        (i32.store8 (i32.const 4) (i32.const 0x6e))))
    (drop (call $respond (i32.const 0) (i32.const 5)))))

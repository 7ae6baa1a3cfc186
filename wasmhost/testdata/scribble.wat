;; scribble: proves that no guest sees another's memory. fresco_handle
;; first scans all of its memory for a non-zero byte (a fresh instance has
;; none: no data segments), then grows memory to 64 pages, fills every byte
;; with 0xAA and answers "clean" (or "dirty" if the scan found anything).
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (local $i i32) (local $end i32) (local $dirty i32)
    ;; scan
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (if (i32.load8_u (local.get $i)) (then (local.set $dirty (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; grow to 64 pages and scribble
    (drop (memory.grow (i32.sub (i32.const 64) (memory.size))))
    (memory.fill (i32.const 0) (i32.const 0xAA) (i32.mul (memory.size) (i32.const 65536)))
    ;; answer: "clean" or "dirty" written at offset 0
    (if (local.get $dirty)
      (then
        (i32.store (i32.const 0) (i32.const 0x74726964)) ;; "dirt"
        (i32.store8 (i32.const 4) (i32.const 0x79)))     ;; "y"
      (else
        (i32.store (i32.const 0) (i32.const 0x61656c63)) ;; "clea"
        (i32.store8 (i32.const 4) (i32.const 0x6e))))    ;; "n"
    (drop (call $respond (i32.const 0) (i32.const 5)))))

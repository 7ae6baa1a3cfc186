;; A guest with an init phase and state in memory and in globals, for the
;; snapshot tests. fresco_init marks the image (memory and globals); every
;; invocation responds with what it sees (28 bytes: the marker at 1024, $g,
;; $h, the last 8 bytes of the image's memory); then an event "w" scribbles
;; a secret over all of them, and "g" also grows the memory by a page.
(module
  (import "fresco" "invocation_event_size" (func $event_size (result i32)))
  (import "fresco" "invocation_event_read" (func $event_read (param i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 2 4)
  (global $g (mut i32) (i32.const 1))
  (global $h (mut i64) (i64.const 2))
  (global $k i32 (i32.const 3))
  (data (i32.const 1024) "DATASEG!")
  (func (export "fresco_init")
    (i64.store (i32.const 1024) (i64.const 0x454e4f4454494e49)) ;; "INITDONE"
    (i64.store (i32.const 131064) (i64.const 0x2e2e2e2e2e2e2e2e)) ;; "........"
    (global.set $g (i32.const 7))
    (global.set $h (i64.const 8)))
  (func (export "fresco_snapshot"))
  (func (export "fresco_handle")
    (i64.store (i32.const 2048) (i64.load (i32.const 1024)))
    (i32.store (i32.const 2056) (global.get $g))
    (i64.store (i32.const 2060) (global.get $h))
    (i64.store (i32.const 2068) (i64.load (i32.const 131064)))
    (drop (call $respond (i32.const 2048) (i32.const 28)))
    (if (i32.gt_s (call $event_size) (i32.const 0))
      (then
        (drop (call $event_read (i32.const 4096) (i32.const 1)))
        (i64.store (i32.const 1024) (i64.const 0x2121544552434553)) ;; "SECRET!!"
        (i64.store (i32.const 131064) (i64.const -1))
        (global.set $g (i32.const 0x5ec7e7))
        (global.set $h (i64.const -2))
        (if (i32.eq (i32.load8_u (i32.const 4096)) (i32.const 0x67)) ;; 'g'
          (then (drop (memory.grow (i32.const 1))))))))
  (func (export "keep_k") (result i32) (global.get $k)))

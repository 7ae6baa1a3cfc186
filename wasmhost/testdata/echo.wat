;; Reads the event into memory at offset 1024 (growing memory as needed) and
;; posts it back unchanged as the response.
(module
  (import "fresco" "invocation_event_size" (func $size (result i32)))
  (import "fresco" "invocation_event_read" (func $read (param i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (local $n i32)
    (local $pages i32)
    (local.set $n (call $size))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))
    ;; pages needed to hold [1024, 1024+n)
    (local.set $pages
      (i32.shr_u (i32.add (local.get $n) (i32.const 66559)) ;; 1024 + 65535
                 (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable))))
    (local.set $n (call $read (i32.const 1024) (local.get $n)))
    (drop (call $respond (i32.const 1024) (local.get $n)))))

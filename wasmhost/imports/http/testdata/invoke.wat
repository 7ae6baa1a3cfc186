;; Invokes the function named in the event through fresco_http.invoke
;; (docs/abi.md, "Outbound HTTP"). The event is "0" (synchronous) or "1"
;; (an Event), the function's name, a newline, and the payload; the guest
;; answers with the answer's head record, a blank line and its body, or,
;; when the call fails, with "ERR <errno> <message>".
(module
  (import "fresco" "invocation_event_read" (func $eread (param i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (import "fresco_http" "invoke" (func $invoke (param i32 i32 i32 i32 i32) (result i32)))
  (import "fresco_http" "response_head" (func $head (param i32 i32 i32) (result i32)))
  (import "fresco_http" "response_read" (func $read (param i32 i32 i32) (result i32)))
  (import "fresco_http" "close" (func $close (param i32) (result i32)))
  (import "fresco_http" "last_error" (func $lasterr (param i32 i32) (result i32)))
  (memory (export "memory") 8)
  (data (i32.const 0) "ERR ")
  (func $fail (param $errno i32)
    (local $n i32)
    (local.set $errno (i32.sub (i32.const 0) (local.get $errno)))
    (i32.store8 (i32.const 4) (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 5) (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 6) (i32.const 32))
    (local.set $n (call $lasterr (i32.const 7) (i32.const 1024)))
    (drop (call $respond (i32.const 0) (i32.add (i32.const 7) (local.get $n)))))
  (func (export "fresco_handle")
    (local $n i32) (local $i i32) (local $h i32) (local $pos i32) (local $k i32)
    (local.set $n (call $eread (i32.const 4096) (i32.const 61440)))
    ;; the name runs from 4097 to the first newline
    (local.set $i (i32.const 1))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_s (local.get $i) (local.get $n)))
        (br_if $found (i32.eq (i32.load8_u (i32.add (i32.const 4096) (local.get $i))) (i32.const 10)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $h (call $invoke
      (i32.const 4097) (i32.sub (local.get $i) (i32.const 1))
      (i32.add (i32.const 4097) (local.get $i))
      (select (i32.sub (i32.sub (local.get $n) (local.get $i)) (i32.const 1)) (i32.const 0)
              (i32.lt_s (local.get $i) (local.get $n)))
      (i32.eq (i32.load8_u (i32.const 4096)) (i32.const 49))))
    (if (i32.lt_s (local.get $h) (i32.const 0)) (then (call $fail (local.get $h)) (return)))
    (local.set $pos (call $head (local.get $h) (i32.const 65536) (i32.const 65536)))
    (if (i32.lt_s (local.get $pos) (i32.const 0)) (then (call $fail (local.get $pos)) (return)))
    (i32.store8 (i32.add (i32.const 65536) (local.get $pos)) (i32.const 10))
    (local.set $pos (i32.add (local.get $pos) (i32.const 65537)))
    (block $done
      (loop $more
        (local.set $k (call $read (local.get $h) (local.get $pos) (i32.sub (i32.const 524288) (local.get $pos))))
        (if (i32.lt_s (local.get $k) (i32.const 0)) (then (call $fail (local.get $k)) (return)))
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $pos (i32.add (local.get $pos) (local.get $k)))
        (br $more)))
    (drop (call $close (local.get $h)))
    (drop (call $respond (i32.const 65536) (i32.sub (local.get $pos) (i32.const 65536))))))

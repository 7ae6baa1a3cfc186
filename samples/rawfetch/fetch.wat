;; A guest on the raw fresco_http ABI (docs/abi.md, "Outbound HTTP").
;; The event is a request head ("METHOD URL\n" then "Name: value\n"
;; lines); an optional body follows a line holding only "--". The guest
;; sends it, and answers with the response's head record, a blank line
;; and its body; or, when a call fails, with "ERR <errno> <message>".
;; An event starting with "!" (dropped before sending) opens the response
;; and leaves it open and unread: the host must close it. An event that is
;; a JSON string, "URL" (as the Invoke API wants JSON), is a GET of URL.
;; The event "?" asks for the head of response 1 without any request: a
;; response an earlier invocation left open must not be there.
(module
  (import "fresco" "invocation_event_read" (func $eread (param i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (import "fresco_http" "request" (func $request (param i32 i32 i32 i32) (result i32)))
  (import "fresco_http" "response_head" (func $head (param i32 i32 i32) (result i32)))
  (import "fresco_http" "response_read" (func $read (param i32 i32 i32) (result i32)))
  (import "fresco_http" "close" (func $close (param i32) (result i32)))
  (import "fresco_http" "last_error" (func $lasterr (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "ERR ")
  ;; the event at 4100 (up to 60 KB), the answer at 65536 (up to 64 KB)
  (func $fail (param $errno i32)
    (local $n i32)
    (local.set $errno (i32.sub (i32.const 0) (local.get $errno)))
    (i32.store8 (i32.const 4) (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 5) (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 6) (i32.const 32))
    (local.set $n (call $lasterr (i32.const 7) (i32.const 1024)))
    (drop (call $respond (i32.const 0) (i32.add (i32.const 7) (local.get $n)))))
  (func (export "fresco_handle")
    (local $n i32) (local $start i32) (local $leak i32) (local $i i32)
    (local $headlen i32) (local $body i32) (local $bodylen i32)
    (local $h i32) (local $pos i32) (local $k i32)
    (local.set $n (call $eread (i32.const 4100) (i32.const 61436)))
    (if (i32.eq (i32.load8_u (i32.const 4100)) (i32.const 63)) ;; "?"
      (then
        (local.set $h (call $head (i32.const 1) (i32.const 65536) (i32.const 65536)))
        (if (i32.lt_s (local.get $h) (i32.const 0)) (then (call $fail (local.get $h)) (return)))
        (drop (call $respond (i32.const 65536) (local.get $h)))
        (return)))
    (local.set $start (i32.const 4100))
    (if (i32.eq (i32.load8_u (i32.const 4100)) (i32.const 33)) ;; "!"
      (then (local.set $leak (i32.const 1))
            (local.set $start (i32.const 4101))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))))
    ;; "URL": "GET " over the opening quote and the 3 bytes before it,
    ;; a newline over the closing one
    (if (i32.and (i32.ge_s (local.get $n) (i32.const 2))
                 (i32.eq (i32.load8_u (i32.const 4100)) (i32.const 34)))
      (then
        (i32.store (i32.const 4097) (i32.const 0x20544547)) ;; "GET "
        (i32.store8 (i32.add (i32.const 4099) (local.get $n)) (i32.const 10))
        (local.set $start (i32.const 4097))
        (local.set $n (i32.add (local.get $n) (i32.const 3)))))
    ;; find "\n--\n": the head ends after its "\n", the body starts after it
    (local.set $headlen (local.get $n))
    (local.set $body (i32.add (local.get $start) (local.get $n)))
    (local.set $i (i32.const 0))
    (block $found
      (loop $scan
        (br_if $found (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (if (i32.eq (i32.load (i32.add (local.get $start) (local.get $i))) (i32.const 0x0a2d2d0a))
          (then
            (local.set $headlen (i32.add (local.get $i) (i32.const 1)))
            (local.set $body (i32.add (i32.add (local.get $start) (local.get $i)) (i32.const 4)))
            (br $found)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $bodylen (i32.sub (i32.add (local.get $start) (local.get $n)) (local.get $body)))
    (local.set $h (call $request (local.get $start) (local.get $headlen) (local.get $body) (local.get $bodylen)))
    (if (i32.lt_s (local.get $h) (i32.const 0)) (then (call $fail (local.get $h)) (return)))
    (if (local.get $leak)
      (then (drop (call $respond (i32.const 0) (i32.const 0))) (return)))
    (local.set $pos (call $head (local.get $h) (i32.const 65536) (i32.const 32768)))
    (if (i32.lt_s (local.get $pos) (i32.const 0)) (then (call $fail (local.get $pos)) (return)))
    (if (i32.gt_s (local.get $pos) (i32.const 32768)) (then unreachable))
    (i32.store8 (i32.add (i32.const 65536) (local.get $pos)) (i32.const 10))
    (local.set $pos (i32.add (local.get $pos) (i32.const 65537)))
    (block $done
      (loop $more
        (local.set $k (call $read (local.get $h) (local.get $pos) (i32.sub (i32.const 131072) (local.get $pos))))
        (if (i32.lt_s (local.get $k) (i32.const 0)) (then (call $fail (local.get $k)) (return)))
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $pos (i32.add (local.get $pos) (local.get $k)))
        (br $more)))
    (drop (call $close (local.get $h)))
    (drop (call $respond (i32.const 65536) (i32.sub (local.get $pos) (i32.const 65536))))))

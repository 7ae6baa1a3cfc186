;; A WASI command that copies stdin to stdout (a stdio function that echoes
;; the event). It traps if a WASI call fails.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: read iovec, 16: bytes read, 32: write iovec, 48: bytes written,
  ;; 1024..5120: the buffer.
  (func (export "_start")
    (local $n i32)
    (local $off i32)
    (local $w i32)
    (loop $read
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
        (then unreachable))
      (local.set $n (i32.load (i32.const 16)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (local.set $off (i32.const 1024))
      (loop $write
        (i32.store (i32.const 32) (local.get $off))
        (i32.store (i32.const 36) (local.get $n))
        (if (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48))
          (then unreachable))
        (local.set $w (i32.load (i32.const 48)))
        (if (i32.eqz (local.get $w)) (then unreachable))
        (local.set $off (i32.add (local.get $off) (local.get $w)))
        (local.set $n (i32.sub (local.get $n) (local.get $w)))
        (br_if $write (local.get $n)))
      (br $read))))

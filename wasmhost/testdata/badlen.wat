;; Reads the event into a buffer far longer than guest memory.
(module
  (import "fresco" "invocation_event_read" (func $read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (drop (call $read (i32.const 0) (i32.const 0x7fffffff)))))

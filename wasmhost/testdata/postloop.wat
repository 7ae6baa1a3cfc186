;; Posts its response, then spins forever: the response is the answer,
;; returned once the guest has been stopped shortly after posting.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"posted\":true}") ;; 15 bytes
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 0) (i32.const 15)))
    (loop $forever (br $forever))))

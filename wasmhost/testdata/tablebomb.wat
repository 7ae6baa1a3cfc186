;; Issue 14: a table declared without a maximum, grown by 2^30 entries
;; (8 GB in the host's heap: "fatal error: out of memory"), then by 2^27
;; (1 GB, never given back), then by 65,536, within the bound of a 128 MB
;; function. It responds with the three results of table.grow and the
;; table's size, as four little-endian i32.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "fresco_handle")
    (i32.store (i32.const 0) (table.grow $t (ref.null func) (i32.const 0x40000000)))
    (i32.store (i32.const 4) (table.grow $t (ref.null func) (i32.const 0x8000000)))
    (i32.store (i32.const 8) (table.grow $t (ref.null func) (i32.const 0x10000)))
    (i32.store (i32.const 12) (table.size $t))
    (drop (call $respond (i32.const 0) (i32.const 16)))))

;; Bulk memory that neither reads nor drops data segments, saturating
;; truncation, sign extension and typed select: no flags.
(module
  (memory 1)
  (data "abc")
  (func (export "f") (param f64) (result i64)
    (memory.copy (i32.const 8) (i32.const 0) (i32.const 3))
    (memory.fill (i32.const 16) (i32.const 0xff) (i32.const 4))
    (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))
    (drop (i32.extend8_s (i32.const 0x80)))
    (drop (memory.grow (i32.const 0)))
    (drop (memory.size))
    (i64.trunc_sat_f64_s (local.get 0))))

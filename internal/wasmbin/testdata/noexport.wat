;; No export section: one is inserted, before the start, element, data
;; count, code and data sections.
(module
  (type $t (func))
  (table 1 funcref)
  (memory 1)
  (global $counter (mut i32) (i32.const 3))
  (global $big (mut i64) (i64.const -1))
  (start $init)
  (elem (i32.const 0) $init)
  (func $init (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (data (i32.const 16) "hello"))

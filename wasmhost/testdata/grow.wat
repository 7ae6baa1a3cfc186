;; Grows memory (no maximum declared) 16 pages at a time until memory.grow
;; refuses, then dies: a guest that fails when it runs out of memory.
(module
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (block $refused
      (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $more)))
    unreachable))

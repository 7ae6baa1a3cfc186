;; Mutable and immutable globals of several types, after an imported one
;; (from env.wat): the defined globals start at index 1.
(module
  (import "env" "g" (global $imported i32))
  (global $a (mut i32) (i32.const -5))              ;; 1
  (global $b i64 (i64.const 1))                     ;; 2, immutable
  (global $c (mut i64) (i64.const 0x123456789a))    ;; 3
  (global $d (mut f32) (f32.const 1.5))             ;; 4
  (global $e f64 (f64.const 2.5))                   ;; 5, immutable
  (global $f (mut f64) (f64.const -0.25))           ;; 6
  (global $g (mut v128) (v128.const i64x2 42 0))    ;; 7
  (global $h (mut funcref) (ref.null func))         ;; 8
  (global $i (mut externref) (ref.null extern))     ;; 9
  (global $j (mut i32) (global.get $imported))      ;; 10
  (func (export "get_a") (result i32) (global.get $a))
  (func (export "bump_a") (global.set $a (i32.add (global.get $a) (i32.const 1)))))

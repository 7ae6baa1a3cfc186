;; SIMD: constants, shuffles, lane operations, lane loads and stores,
;; loads with memargs, and opcodes of two LEB128 bytes (>= 0x80).
(module
  (memory 1)
  (global $v (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "f") (param i32) (result i32)
    (local v128)
    (local.set 1 (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
    (local.set 1 (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 1) (global.get $v)))
    (local.set 1 (i32x4.replace_lane 2 (local.get 1) (i32.const 9)))
    (local.set 1 (v128.load8_lane offset=3 5 (local.get 0) (local.get 1)))
    (v128.store64_lane align=8 1 (i32.const 32) (local.get 1))
    (local.set 1 (v128.load32_zero (i32.const 64)))
    (local.set 1 (v128.load16_splat offset=2 (i32.const 64)))
    (v128.store offset=100 (i32.const 0) (local.get 1))
    (local.set 1 (i16x8.add (local.get 1) (local.get 1)))
    (local.set 1 (i32x4.mul (local.get 1) (local.get 1)))
    (local.set 1 (f64x2.sqrt (local.get 1)))
    (local.set 1 (i64x2.extmul_high_i32x4_u (local.get 1) (local.get 1)))
    (local.set 1 (f64x2.promote_low_f32x4 (local.get 1)))
    (global.set $v (local.get 1))
    (i32.add
      (i8x16.extract_lane_u 15 (local.get 1))
      (i32x4.bitmask (local.get 1)))))

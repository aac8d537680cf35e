;; the wasm device's hot kernels: gemm (f32x4 / f64x2, register-blocked, packed), the bias + relu /
;; identity epilogue, relu / identity backward with bias sums, and the sgd update. 128-bit simd only
;; (no relaxed simd: separate mul and add, no fma), one thread. assembled by tools/build-wasm.mjs.
;; every pointer is a byte offset into the exported memory; the js side (src/kernels/wasm/memory.ts)
;; copies arguments in, reserves the pack workspace at ws and grows the memory before a call, so a
;; call on valid shapes never reads or writes outside what the caller laid out.
;;
;; blocking (both dtypes; one element row of a packed sliver is 16 or 32 bytes):
;;   f32: MR 4 x NR 8 tile = 8 f32x4 accumulators + 2 b vectors + 1 a splat (11 of the 15 xmm
;;        registers v8 can allocate on x64; 6 x 8 spilled in trials)
;;   f64: MR 4 x NR 4 tile = 8 f64x2 accumulators, the same register budget
;;   KC 256: an a sliver (MR x KC) and a b sliver (KC x NR) together take <= 16 KiB of a 32 KiB L1
;;   MC 128: the packed a block (MC x KC) <= 256 KiB stays in L2
;;   NC 256: the packed b panel (KC x NC) <= 512 KiB
;; workspace at ws: a block (MC KC elements), b panel (KC NC elements), then one 4 x 32-byte tile
(module
  (memory (export "memory") 1)

  (global $KC i32 (i32.const 256))
  (global $MC i32 (i32.const 128))
  (global $NC i32 (i32.const 256))

  ;; bytes of workspace gemm needs at ws, for 8-byte elements (f32 uses less)
  (func (export "gemm_workspace") (result i32)
    (i32.add
      (i32.mul (i32.mul (i32.add (global.get $MC) (global.get $NC)) (global.get $KC)) (i32.const 8))
      (i32.const 128)))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))

  ;; ---------------------------------------------------------------------------------------------
  ;; float32 gemm
  ;; ---------------------------------------------------------------------------------------------

  ;; packs op(a)[i0 .. i0+mc, k0 .. k0+kc] into slivers of 4 rows: dst[(s kc + k) 4 + r];
  ;; rows past mc are zero (edge tiles compute garbage-free zeros that are never stored).
  ;; op(a)[i][k] is a[i K + k], or a[k M + i] when ta
  (func $pack_a_f32 (param $ta i32) (param $a i32) (param $M i32) (param $K i32)
                    (param $i0 i32) (param $k0 i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $s i32) (local $r i32) (local $k i32) (local $i i32) (local $src i32) (local $d i32)
    (local $rows i32)
    (block $done
      (loop $slivers
        (br_if $done (i32.ge_u (local.get $s) (local.get $mc)))
        (local.set $rows (call $min (i32.sub (local.get $mc) (local.get $s)) (i32.const 4)))
        (if (i32.and (local.get $ta) (i32.eq (local.get $rows) (i32.const 4)))
          (then
            ;; a is (K, M): the 4 rows of a k are contiguous
            (local.set $src (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $M)) (i32.add (local.get $i0) (local.get $s))) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kd (loop $kl
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
              (local.set $src (i32.add (local.get $src) (i32.shl (local.get $M) (i32.const 2))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $kl))))
          (else
            (local.set $r (i32.const 0))
            (block $rd (loop $rl
              (br_if $rd (i32.ge_u (local.get $r) (i32.const 4)))
              (local.set $i (i32.add (i32.add (local.get $i0) (local.get $s)) (local.get $r)))
              (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
              (local.set $k (i32.const 0))
              (if (i32.lt_u (local.get $r) (local.get $rows))
                (then
                  (if (local.get $ta)
                    (then
                      (local.set $src (i32.add (local.get $a)
                        (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $M)) (local.get $i)) (i32.const 2))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f32.store (local.get $d) (f32.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 16)))
                        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $M) (i32.const 2))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))
                    (else
                      (local.set $src (i32.add (local.get $a)
                        (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k0)) (i32.const 2))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f32.store (local.get $d) (f32.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 16)))
                        (local.set $src (i32.add (local.get $src) (i32.const 4)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))))
                (else
                  (block $kd (loop $kl
                    (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                    (f32.store (local.get $d) (f32.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 16)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kl)))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $rl)))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 4))))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $slivers))))

  ;; packs op(b)[k0 .. k0+kc, j0 .. j0+nc] into slivers of 8 columns: dst[(s kc + k) 8 + j];
  ;; columns past nc are zero. op(b)[k][j] is b[k N + j], or b[j K + k] when tb
  (func $pack_b_f32 (param $tb i32) (param $b i32) (param $N i32) (param $K i32)
                    (param $j0 i32) (param $k0 i32) (param $nc i32) (param $kc i32) (param $dst i32)
    (local $s i32) (local $j i32) (local $k i32) (local $col i32) (local $src i32) (local $d i32)
    (local $cols i32)
    (block $done
      (loop $slivers
        (br_if $done (i32.ge_u (local.get $s) (local.get $nc)))
        (local.set $cols (call $min (i32.sub (local.get $nc) (local.get $s)) (i32.const 8)))
        (if (i32.and (i32.eqz (local.get $tb)) (i32.eq (local.get $cols) (i32.const 8)))
          (then
            ;; b is (K, N): the 8 columns of a k are contiguous
            (local.set $src (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $N)) (i32.add (local.get $j0) (local.get $s))) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kd (loop $kl
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $src)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
              (local.set $src (i32.add (local.get $src) (i32.shl (local.get $N) (i32.const 2))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $kl))))
          (else
            (local.set $j (i32.const 0))
            (block $jd (loop $jl
              (br_if $jd (i32.ge_u (local.get $j) (i32.const 8)))
              (local.set $col (i32.add (i32.add (local.get $j0) (local.get $s)) (local.get $j)))
              (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
              (local.set $k (i32.const 0))
              (if (i32.lt_u (local.get $j) (local.get $cols))
                (then
                  (if (local.get $tb)
                    (then
                      (local.set $src (i32.add (local.get $b)
                        (i32.shl (i32.add (i32.mul (local.get $col) (local.get $K)) (local.get $k0)) (i32.const 2))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f32.store (local.get $d) (f32.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.const 4)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))
                    (else
                      (local.set $src (i32.add (local.get $b)
                        (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $N)) (local.get $col)) (i32.const 2))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f32.store (local.get $d) (f32.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $N) (i32.const 2))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))))
                (else
                  (block $kd (loop $kl
                    (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                    (f32.store (local.get $d) (f32.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 32)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kl)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jl)))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))))
        (local.set $s (i32.add (local.get $s) (i32.const 8)))
        (br $slivers))))

  ;; c (mr x nr of ldc bytes per row) := alpha t + beta c from the 4 x 8 tile t (32 bytes a row);
  ;; beta 0 writes c without reading it. the same rounding order in the vector and scalar paths
  (func $store_tile_f32 (param $t i32) (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32)
                        (param $alpha f32) (param $beta f32)
    (local $r i32) (local $j i32) (local $x v128) (local $va v128) (local $vb v128) (local $s f32)
    (local $p i32)
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $vb (f32x4.splat (local.get $beta)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $mr)))
      (if (i32.eq (local.get $nr) (i32.const 8))
        (then
          (local.set $x (f32x4.mul (v128.load (local.get $t)) (local.get $va)))
          (if (f32.ne (local.get $beta) (f32.const 0))
            (then (local.set $x (f32x4.add (local.get $x) (f32x4.mul (v128.load (local.get $c)) (local.get $vb))))))
          (v128.store (local.get $c) (local.get $x))
          (local.set $x (f32x4.mul (v128.load offset=16 (local.get $t)) (local.get $va)))
          (if (f32.ne (local.get $beta) (f32.const 0))
            (then (local.set $x (f32x4.add (local.get $x) (f32x4.mul (v128.load offset=16 (local.get $c)) (local.get $vb))))))
          (v128.store offset=16 (local.get $c) (local.get $x)))
        (else
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.ge_u (local.get $j) (local.get $nr)))
            (local.set $p (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $s (f32.mul (f32.load (i32.add (local.get $t) (i32.shl (local.get $j) (i32.const 2)))) (local.get $alpha)))
            (if (f32.ne (local.get $beta) (f32.const 0))
              (then (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $p)) (local.get $beta))))))
            (f32.store (local.get $p) (local.get $s))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; the 4 x 8 micro-kernel: acc := sum over kc of (packed a column k) x (b row k), a sliver at ap
  ;; (16 bytes a k), b row k at bp + k bks; then c := alpha acc + beta c through the tile at t.
  ;; the k loop is unrolled by 2 to halve the loop overhead
  (func $kernel_f32 (param $kc i32) (param $ap i32) (param $bp i32) (param $bks i32) (param $t i32)
                    (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32)
                    (param $alpha f32) (param $beta f32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $a v128) (local $end i32)
    ;; pairs of k
    (local.set $end (i32.add (local.get $ap) (i32.shl (i32.and (local.get $kc) (i32.const -2)) (i32.const 4))))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $ap) (local.get $end)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load32_splat (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (local.get $bks)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load32_splat offset=16 (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=20 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=24 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=28 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (local.get $bks)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
      (br $pl)))
    ;; the odd k
    (if (i32.and (local.get $kc) (i32.const 1))
      (then
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $a (v128.load32_splat (local.get $ap)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=4 (local.get $ap)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=8 (local.get $ap)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load32_splat offset=12 (local.get $ap)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))))
    (v128.store offset=0 (local.get $t) (local.get $c00))
    (v128.store offset=16 (local.get $t) (local.get $c01))
    (v128.store offset=32 (local.get $t) (local.get $c10))
    (v128.store offset=48 (local.get $t) (local.get $c11))
    (v128.store offset=64 (local.get $t) (local.get $c20))
    (v128.store offset=80 (local.get $t) (local.get $c21))
    (v128.store offset=96 (local.get $t) (local.get $c30))
    (v128.store offset=112 (local.get $t) (local.get $c31))
    (call $store_tile_f32 (local.get $t) (local.get $c) (local.get $ldc) (local.get $mr) (local.get $nr)
      (local.get $alpha) (local.get $beta)))

  ;; c is (M, N); a is (M, K), or (K, M) when ta; b is (K, N), or (N, K) when tb
  ;; c := alpha op(a) op(b) + beta c; beta 0 writes c without reading it. ws: gemm_workspace bytes.
  ;; loops jc (NC) > pc (KC) > pack b > ic (MC) > pack a > jr (NR) > ir (MR), as BLIS. a b (K, N)
  ;; with few rows of c is read in place (every b element is used only M times: packing it would
  ;; cost as much as the product); its last partial sliver is still packed with zero columns
  (func (export "gemm_f32") (param $ta i32) (param $tb i32) (param $M i32) (param $N i32) (param $K i32)
                            (param $alpha f32) (param $a i32) (param $b i32) (param $beta f32) (param $c i32)
                            (param $ws i32)
    (local $jc i32) (local $pc i32) (local $ic i32) (local $jr i32) (local $ir i32)
    (local $nc i32) (local $kc i32) (local $mc i32) (local $nr i32) (local $mr i32)
    (local $pa i32) (local $pb i32) (local $t i32) (local $ldc i32) (local $direct i32)
    (local $bp i32) (local $bks i32) (local $bedge i32) (local $betak f32)
    (if (i32.or (i32.eqz (local.get $M)) (i32.eqz (local.get $N))) (then (return)))
    (local.set $pa (local.get $ws))
    (local.set $pb (i32.add (local.get $pa) (i32.shl (i32.mul (global.get $MC) (global.get $KC)) (i32.const 2))))
    (local.set $t (i32.add (local.get $pb) (i32.shl (i32.mul (global.get $KC) (global.get $NC)) (i32.const 2))))
    (local.set $ldc (i32.shl (local.get $N) (i32.const 2)))
    (local.set $direct (i32.and (i32.eqz (local.get $tb)) (i32.le_u (local.get $M) (i32.const 32))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_u (local.get $jc) (local.get $N)))
      (local.set $nc (call $min (i32.sub (local.get $N) (local.get $jc)) (global.get $NC)))
      (local.set $pc (i32.const 0))
      ;; runs once when K is 0, so that c := beta c
      (loop $pcl
        (local.set $kc (call $min (i32.sub (local.get $K) (local.get $pc)) (global.get $KC)))
        ;; the first k block applies beta; the later ones add to what it wrote
        (local.set $betak (select (local.get $beta) (f32.const 1) (i32.eqz (local.get $pc))))
        (if (local.get $direct)
          (then
            ;; only the partial last sliver is packed, at the start of the b panel
            (local.set $bedge (i32.and (local.get $nc) (i32.const -8)))
            (if (i32.lt_u (local.get $bedge) (local.get $nc))
              (then (call $pack_b_f32 (i32.const 0) (local.get $b) (local.get $N) (local.get $K)
                      (i32.add (local.get $jc) (local.get $bedge)) (local.get $pc)
                      (i32.sub (local.get $nc) (local.get $bedge)) (local.get $kc) (local.get $pb)))))
          (else
            (call $pack_b_f32 (local.get $tb) (local.get $b) (local.get $N) (local.get $K)
              (local.get $jc) (local.get $pc) (local.get $nc) (local.get $kc) (local.get $pb))))
        (local.set $ic (i32.const 0))
        (block $icd (loop $icl
          (br_if $icd (i32.ge_u (local.get $ic) (local.get $M)))
          (local.set $mc (call $min (i32.sub (local.get $M) (local.get $ic)) (global.get $MC)))
          (call $pack_a_f32 (local.get $ta) (local.get $a) (local.get $M) (local.get $K)
            (local.get $ic) (local.get $pc) (local.get $mc) (local.get $kc) (local.get $pa))
          (local.set $jr (i32.const 0))
          (block $jrd (loop $jrl
            (br_if $jrd (i32.ge_u (local.get $jr) (local.get $nc)))
            (local.set $nr (call $min (i32.sub (local.get $nc) (local.get $jr)) (i32.const 8)))
            (if (i32.and (local.get $direct) (i32.eq (local.get $nr) (i32.const 8)))
              (then
                (local.set $bp (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $N)) (i32.add (local.get $jc) (local.get $jr))) (i32.const 2))))
                (local.set $bks (local.get $ldc)))
              (else
                (local.set $bp (i32.add (local.get $pb)
                  (i32.shl (i32.mul (select (i32.const 0) (local.get $jr) (local.get $direct)) (local.get $kc)) (i32.const 2))))
                (local.set $bks (i32.const 32))))
            (local.set $ir (i32.const 0))
            (block $ird (loop $irl
              (br_if $ird (i32.ge_u (local.get $ir) (local.get $mc)))
              (local.set $mr (call $min (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
              (call $kernel_f32 (local.get $kc)
                (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
                (local.get $bp) (local.get $bks) (local.get $t)
                (i32.add (local.get $c)
                  (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $N))
                                    (i32.add (local.get $jc) (local.get $jr))) (i32.const 2)))
                (local.get $ldc) (local.get $mr) (local.get $nr) (local.get $alpha) (local.get $betak))
              (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
              (br $irl)))
            (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
            (br $jrl)))
          (local.set $ic (i32.add (local.get $ic) (global.get $MC)))
          (br $icl)))
        (local.set $pc (i32.add (local.get $pc) (global.get $KC)))
        (br_if $pcl (i32.lt_u (local.get $pc) (local.get $K))))
      (local.set $jc (i32.add (local.get $jc) (global.get $NC)))
      (br $jcl))))

  ;; ---------------------------------------------------------------------------------------------
  ;; float64 gemm: the same loops with 8-byte elements and a 4 x 4 tile of f64x2 (32 bytes a row)
  ;; ---------------------------------------------------------------------------------------------

  (func $pack_a_f64 (param $ta i32) (param $a i32) (param $M i32) (param $K i32)
                    (param $i0 i32) (param $k0 i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $s i32) (local $r i32) (local $k i32) (local $i i32) (local $src i32) (local $d i32)
    (local $rows i32)
    (block $done
      (loop $slivers
        (br_if $done (i32.ge_u (local.get $s) (local.get $mc)))
        (local.set $rows (call $min (i32.sub (local.get $mc) (local.get $s)) (i32.const 4)))
        (if (i32.and (local.get $ta) (i32.eq (local.get $rows) (i32.const 4)))
          (then
            (local.set $src (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $M)) (i32.add (local.get $i0) (local.get $s))) (i32.const 3))))
            (local.set $k (i32.const 0))
            (block $kd (loop $kl
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $src)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
              (local.set $src (i32.add (local.get $src) (i32.shl (local.get $M) (i32.const 3))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $kl))))
          (else
            (local.set $r (i32.const 0))
            (block $rd (loop $rl
              (br_if $rd (i32.ge_u (local.get $r) (i32.const 4)))
              (local.set $i (i32.add (i32.add (local.get $i0) (local.get $s)) (local.get $r)))
              (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 3))))
              (local.set $k (i32.const 0))
              (if (i32.lt_u (local.get $r) (local.get $rows))
                (then
                  (if (local.get $ta)
                    (then
                      (local.set $src (i32.add (local.get $a)
                        (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $M)) (local.get $i)) (i32.const 3))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f64.store (local.get $d) (f64.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $M) (i32.const 3))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))
                    (else
                      (local.set $src (i32.add (local.get $a)
                        (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k0)) (i32.const 3))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f64.store (local.get $d) (f64.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.const 8)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))))
                (else
                  (block $kd (loop $kl
                    (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                    (f64.store (local.get $d) (f64.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 32)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kl)))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $rl)))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $slivers))))

  (func $pack_b_f64 (param $tb i32) (param $b i32) (param $N i32) (param $K i32)
                    (param $j0 i32) (param $k0 i32) (param $nc i32) (param $kc i32) (param $dst i32)
    (local $s i32) (local $j i32) (local $k i32) (local $col i32) (local $src i32) (local $d i32)
    (local $cols i32)
    (block $done
      (loop $slivers
        (br_if $done (i32.ge_u (local.get $s) (local.get $nc)))
        (local.set $cols (call $min (i32.sub (local.get $nc) (local.get $s)) (i32.const 4)))
        (if (i32.and (i32.eqz (local.get $tb)) (i32.eq (local.get $cols) (i32.const 4)))
          (then
            (local.set $src (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $N)) (i32.add (local.get $j0) (local.get $s))) (i32.const 3))))
            (local.set $k (i32.const 0))
            (block $kd (loop $kl
              (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
              (v128.store (local.get $dst) (v128.load (local.get $src)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
              (local.set $src (i32.add (local.get $src) (i32.shl (local.get $N) (i32.const 3))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $kl))))
          (else
            (local.set $j (i32.const 0))
            (block $jd (loop $jl
              (br_if $jd (i32.ge_u (local.get $j) (i32.const 4)))
              (local.set $col (i32.add (i32.add (local.get $j0) (local.get $s)) (local.get $j)))
              (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
              (local.set $k (i32.const 0))
              (if (i32.lt_u (local.get $j) (local.get $cols))
                (then
                  (if (local.get $tb)
                    (then
                      (local.set $src (i32.add (local.get $b)
                        (i32.shl (i32.add (i32.mul (local.get $col) (local.get $K)) (local.get $k0)) (i32.const 3))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f64.store (local.get $d) (f64.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.const 8)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))
                    (else
                      (local.set $src (i32.add (local.get $b)
                        (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $N)) (local.get $col)) (i32.const 3))))
                      (block $kd (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                        (f64.store (local.get $d) (f64.load (local.get $src)))
                        (local.set $d (i32.add (local.get $d) (i32.const 32)))
                        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $N) (i32.const 3))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl))))))
                (else
                  (block $kd (loop $kl
                    (br_if $kd (i32.ge_u (local.get $k) (local.get $kc)))
                    (f64.store (local.get $d) (f64.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 32)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kl)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jl)))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $slivers))))

  (func $store_tile_f64 (param $t i32) (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32)
                        (param $alpha f64) (param $beta f64)
    (local $r i32) (local $j i32) (local $x v128) (local $va v128) (local $vb v128) (local $s f64)
    (local $p i32)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $mr)))
      (if (i32.eq (local.get $nr) (i32.const 4))
        (then
          (local.set $x (f64x2.mul (v128.load (local.get $t)) (local.get $va)))
          (if (f64.ne (local.get $beta) (f64.const 0))
            (then (local.set $x (f64x2.add (local.get $x) (f64x2.mul (v128.load (local.get $c)) (local.get $vb))))))
          (v128.store (local.get $c) (local.get $x))
          (local.set $x (f64x2.mul (v128.load offset=16 (local.get $t)) (local.get $va)))
          (if (f64.ne (local.get $beta) (f64.const 0))
            (then (local.set $x (f64x2.add (local.get $x) (f64x2.mul (v128.load offset=16 (local.get $c)) (local.get $vb))))))
          (v128.store offset=16 (local.get $c) (local.get $x)))
        (else
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.ge_u (local.get $j) (local.get $nr)))
            (local.set $p (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $s (f64.mul (f64.load (i32.add (local.get $t) (i32.shl (local.get $j) (i32.const 3)))) (local.get $alpha)))
            (if (f64.ne (local.get $beta) (f64.const 0))
              (then (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $p)) (local.get $beta))))))
            (f64.store (local.get $p) (local.get $s))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; the 4 x 4 f64 micro-kernel: a sliver 32 bytes a k, b row k at bp + k bks (32 bytes of it used)
  (func $kernel_f64 (param $kc i32) (param $ap i32) (param $bp i32) (param $bks i32) (param $t i32)
                    (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32)
                    (param $alpha f64) (param $beta f64)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $a v128) (local $end i32)
    (local.set $end (i32.add (local.get $ap) (i32.shl (i32.and (local.get $kc) (i32.const -2)) (i32.const 5))))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $ap) (local.get $end)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load64_splat (local.get $ap)))
      (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=8 (local.get $ap)))
      (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=16 (local.get $ap)))
      (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=24 (local.get $ap)))
      (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (local.get $bks)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load64_splat offset=32 (local.get $ap)))
      (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=40 (local.get $ap)))
      (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=48 (local.get $ap)))
      (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=56 (local.get $ap)))
      (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (local.get $bks)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 64)))
      (br $pl)))
    (if (i32.and (local.get $kc) (i32.const 1))
      (then
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $a (v128.load64_splat (local.get $ap)))
        (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load64_splat offset=8 (local.get $ap)))
        (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load64_splat offset=16 (local.get $ap)))
        (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
        (local.set $a (v128.load64_splat offset=24 (local.get $ap)))
        (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))))
    (v128.store offset=0 (local.get $t) (local.get $c00))
    (v128.store offset=16 (local.get $t) (local.get $c01))
    (v128.store offset=32 (local.get $t) (local.get $c10))
    (v128.store offset=48 (local.get $t) (local.get $c11))
    (v128.store offset=64 (local.get $t) (local.get $c20))
    (v128.store offset=80 (local.get $t) (local.get $c21))
    (v128.store offset=96 (local.get $t) (local.get $c30))
    (v128.store offset=112 (local.get $t) (local.get $c31))
    (call $store_tile_f64 (local.get $t) (local.get $c) (local.get $ldc) (local.get $mr) (local.get $nr)
      (local.get $alpha) (local.get $beta)))

  (func (export "gemm_f64") (param $ta i32) (param $tb i32) (param $M i32) (param $N i32) (param $K i32)
                            (param $alpha f64) (param $a i32) (param $b i32) (param $beta f64) (param $c i32)
                            (param $ws i32)
    (local $jc i32) (local $pc i32) (local $ic i32) (local $jr i32) (local $ir i32)
    (local $nc i32) (local $kc i32) (local $mc i32) (local $nr i32) (local $mr i32)
    (local $pa i32) (local $pb i32) (local $t i32) (local $ldc i32) (local $direct i32)
    (local $bp i32) (local $bks i32) (local $bedge i32) (local $betak f64)
    (if (i32.or (i32.eqz (local.get $M)) (i32.eqz (local.get $N))) (then (return)))
    (local.set $pa (local.get $ws))
    (local.set $pb (i32.add (local.get $pa) (i32.shl (i32.mul (global.get $MC) (global.get $KC)) (i32.const 3))))
    (local.set $t (i32.add (local.get $pb) (i32.shl (i32.mul (global.get $KC) (global.get $NC)) (i32.const 3))))
    (local.set $ldc (i32.shl (local.get $N) (i32.const 3)))
    (local.set $direct (i32.and (i32.eqz (local.get $tb)) (i32.le_u (local.get $M) (i32.const 32))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_u (local.get $jc) (local.get $N)))
      (local.set $nc (call $min (i32.sub (local.get $N) (local.get $jc)) (global.get $NC)))
      (local.set $pc (i32.const 0))
      (loop $pcl
        (local.set $kc (call $min (i32.sub (local.get $K) (local.get $pc)) (global.get $KC)))
        (local.set $betak (select (local.get $beta) (f64.const 1) (i32.eqz (local.get $pc))))
        (if (local.get $direct)
          (then
            (local.set $bedge (i32.and (local.get $nc) (i32.const -4)))
            (if (i32.lt_u (local.get $bedge) (local.get $nc))
              (then (call $pack_b_f64 (i32.const 0) (local.get $b) (local.get $N) (local.get $K)
                      (i32.add (local.get $jc) (local.get $bedge)) (local.get $pc)
                      (i32.sub (local.get $nc) (local.get $bedge)) (local.get $kc) (local.get $pb)))))
          (else
            (call $pack_b_f64 (local.get $tb) (local.get $b) (local.get $N) (local.get $K)
              (local.get $jc) (local.get $pc) (local.get $nc) (local.get $kc) (local.get $pb))))
        (local.set $ic (i32.const 0))
        (block $icd (loop $icl
          (br_if $icd (i32.ge_u (local.get $ic) (local.get $M)))
          (local.set $mc (call $min (i32.sub (local.get $M) (local.get $ic)) (global.get $MC)))
          (call $pack_a_f64 (local.get $ta) (local.get $a) (local.get $M) (local.get $K)
            (local.get $ic) (local.get $pc) (local.get $mc) (local.get $kc) (local.get $pa))
          (local.set $jr (i32.const 0))
          (block $jrd (loop $jrl
            (br_if $jrd (i32.ge_u (local.get $jr) (local.get $nc)))
            (local.set $nr (call $min (i32.sub (local.get $nc) (local.get $jr)) (i32.const 4)))
            (if (i32.and (local.get $direct) (i32.eq (local.get $nr) (i32.const 4)))
              (then
                (local.set $bp (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $N)) (i32.add (local.get $jc) (local.get $jr))) (i32.const 3))))
                (local.set $bks (local.get $ldc)))
              (else
                (local.set $bp (i32.add (local.get $pb)
                  (i32.shl (i32.mul (select (i32.const 0) (local.get $jr) (local.get $direct)) (local.get $kc)) (i32.const 3))))
                (local.set $bks (i32.const 32))))
            (local.set $ir (i32.const 0))
            (block $ird (loop $irl
              (br_if $ird (i32.ge_u (local.get $ir) (local.get $mc)))
              (local.set $mr (call $min (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
              (call $kernel_f64 (local.get $kc)
                (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 3)))
                (local.get $bp) (local.get $bks) (local.get $t)
                (i32.add (local.get $c)
                  (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $N))
                                    (i32.add (local.get $jc) (local.get $jr))) (i32.const 3)))
                (local.get $ldc) (local.get $mr) (local.get $nr) (local.get $alpha) (local.get $betak))
              (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
              (br $irl)))
            (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
            (br $jrl)))
          (local.set $ic (i32.add (local.get $ic) (global.get $MC)))
          (br $icl)))
        (local.set $pc (i32.add (local.get $pc) (global.get $KC)))
        (br_if $pcl (i32.lt_u (local.get $pc) (local.get $K))))
      (local.set $jc (i32.add (local.get $jc) (global.get $NC)))
      (br $jcl))))
;; ---------------------------------------------------------------------------------------------
  ;; layer epilogues and the optimizer step (relu and identity; the other activations run in js)
  ;; ---------------------------------------------------------------------------------------------

  ;; x is (B, N), bias is (N) when hasBias, y is (B, N), pre is (B, N) when hasPre; act 0 identity, 1 relu
  ;; pre := x + bias; y := act(pre); y may alias x. relu keeps NaN (not (t <= 0) is true for NaN) and
  ;; maps -0 to +0, as the reference's t > 0 ? t : 0
  (func (export "bias_act_f32") (param $B i32) (param $N i32) (param $x i32) (param $bias i32) (param $hasBias i32)
                                (param $act i32) (param $y i32) (param $pre i32) (param $hasPre i32)
    (local $i i32) (local $j i32) (local $o i32) (local $v v128) (local $s f32) (local $n4 i32)
    (local.set $n4 (i32.and (local.get $N) (i32.const -4)))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (if (local.get $hasBias)
          (then (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
        (if (local.get $hasPre) (then (v128.store (i32.add (local.get $pre) (local.get $o)) (local.get $v))))
        (if (local.get $act)
          (then (local.set $v (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))))
        (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $v))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jl)))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $o))))
        (if (local.get $hasBias)
          (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
        (if (local.get $hasPre) (then (f32.store (i32.add (local.get $pre) (local.get $o)) (local.get $s))))
        (if (i32.and (local.get $act) (f32.le (local.get $s) (f32.const 0))) (then (local.set $s (f32.const 0))))
        (f32.store (i32.add (local.get $y) (local.get $o)) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il))))

  (func (export "bias_act_f64") (param $B i32) (param $N i32) (param $x i32) (param $bias i32) (param $hasBias i32)
                                (param $act i32) (param $y i32) (param $pre i32) (param $hasPre i32)
    (local $i i32) (local $j i32) (local $o i32) (local $v v128) (local $s f64) (local $n2 i32)
    (local.set $n2 (i32.and (local.get $N) (i32.const -2)))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $n2)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 3)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (if (local.get $hasBias)
          (then (local.set $v (f64x2.add (local.get $v) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3))))))))
        (if (local.get $hasPre) (then (v128.store (i32.add (local.get $pre) (local.get $o)) (local.get $v))))
        (if (local.get $act)
          (then (local.set $v (v128.andnot (local.get $v) (f64x2.le (local.get $v) (v128.const f64x2 0 0))))))
        (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $v))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $jl)))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 3)))
        (local.set $s (f64.load (i32.add (local.get $x) (local.get $o))))
        (if (local.get $hasBias)
          (then (local.set $s (f64.add (local.get $s) (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3))))))))
        (if (local.get $hasPre) (then (f64.store (i32.add (local.get $pre) (local.get $o)) (local.get $s))))
        (if (i32.and (local.get $act) (f64.le (local.get $s) (f64.const 0))) (then (local.set $s (f64.const 0))))
        (f64.store (i32.add (local.get $y) (local.get $o)) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il))))

  ;; z, gradOut, gradIn are (B, N), gradBias is (N) when hasBias, sums is (N) f64 scratch; act 0 or 1
  ;; gradIn := gradOut * act'(z) (relu' = 1 for z > 0, else 0: g * 0 keeps the sign and NaN of g, as
  ;; the reference's product); gradBias += column sums of gradIn, summed in doubles over rows in order
  ;; and rounded once, as the reference. returns sum(g * 0): 0, or NaN when some g is not finite (the
  ;; reference's sum of g * d act / d param for these activations). gradIn may alias gradOut
  (func (export "act_backward_f32") (param $B i32) (param $N i32) (param $z i32) (param $g i32) (param $act i32)
                                    (param $gin i32) (param $gbias i32) (param $hasBias i32) (param $sums i32)
                                    (result f64)
    (local $i i32) (local $j i32) (local $o i32) (local $v v128) (local $m v128) (local $nan v128)
    (local $s f32) (local $n4 i32) (local $sp i32)
    (local.set $n4 (i32.and (local.get $N) (i32.const -4)))
    (if (local.get $hasBias) (then (memory.fill (local.get $sums) (i32.const 0) (i32.shl (local.get $N) (i32.const 3)))))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $nan (f32x4.add (local.get $nan) (f32x4.mul (local.get $v) (v128.const f32x4 0 0 0 0))))
        (if (local.get $act)
          (then
            (local.set $m (v128.and (f32x4.gt (v128.load (i32.add (local.get $z) (local.get $o))) (v128.const f32x4 0 0 0 0))
                                    (v128.const f32x4 1 1 1 1)))
            (local.set $v (f32x4.mul (local.get $v) (local.get $m)))))
        (v128.store (i32.add (local.get $gin) (local.get $o)) (local.get $v))
        (if (local.get $hasBias)
          (then
            (local.set $sp (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
            (v128.store (local.get $sp) (f64x2.add (v128.load (local.get $sp)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 (local.get $sp) (f64x2.add (v128.load offset=16 (local.get $sp))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jl)))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2)))
        (local.set $s (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $nan (f32x4.add (local.get $nan) (f32x4.splat (f32.mul (local.get $s) (f32.const 0)))))
        (if (local.get $act)
          (then (local.set $s (f32.mul (local.get $s)
            (select (f32.const 1) (f32.const 0) (f32.gt (f32.load (i32.add (local.get $z) (local.get $o))) (f32.const 0)))))))
        (f32.store (i32.add (local.get $gin) (local.get $o)) (local.get $s))
        (if (local.get $hasBias)
          (then
            (local.set $sp (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $sp) (f64.add (f64.load (local.get $sp)) (f64.promote_f32 (local.get $s))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (if (local.get $hasBias)
      (then
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
          (local.set $sp (i32.add (local.get $gbias) (i32.shl (local.get $j) (i32.const 2))))
          (f32.store (local.get $sp) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $sp)))
            (f64.load (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))))
    (f64.promote_f32 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $nan)) (f32x4.extract_lane 1 (local.get $nan)))
                              (f32.add (f32x4.extract_lane 2 (local.get $nan)) (f32x4.extract_lane 3 (local.get $nan))))))

  (func (export "act_backward_f64") (param $B i32) (param $N i32) (param $z i32) (param $g i32) (param $act i32)
                                    (param $gin i32) (param $gbias i32) (param $hasBias i32) (param $sums i32)
                                    (result f64)
    (local $i i32) (local $j i32) (local $o i32) (local $v v128) (local $m v128) (local $nan v128)
    (local $s f64) (local $n2 i32) (local $sp i32)
    (local.set $n2 (i32.and (local.get $N) (i32.const -2)))
    (if (local.get $hasBias) (then (memory.fill (local.get $sums) (i32.const 0) (i32.shl (local.get $N) (i32.const 3)))))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $n2)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 3)))
        (local.set $v (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $nan (f64x2.add (local.get $nan) (f64x2.mul (local.get $v) (v128.const f64x2 0 0))))
        (if (local.get $act)
          (then
            (local.set $m (v128.and (f64x2.gt (v128.load (i32.add (local.get $z) (local.get $o))) (v128.const f64x2 0 0))
                                    (v128.const f64x2 1 1)))
            (local.set $v (f64x2.mul (local.get $v) (local.get $m)))))
        (v128.store (i32.add (local.get $gin) (local.get $o)) (local.get $v))
        (if (local.get $hasBias)
          (then
            (local.set $sp (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
            (v128.store (local.get $sp) (f64x2.add (v128.load (local.get $sp)) (local.get $v)))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $jl)))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 3)))
        (local.set $s (f64.load (i32.add (local.get $g) (local.get $o))))
        (local.set $nan (f64x2.add (local.get $nan) (f64x2.splat (f64.mul (local.get $s) (f64.const 0)))))
        (if (local.get $act)
          (then (local.set $s (f64.mul (local.get $s)
            (select (f64.const 1) (f64.const 0) (f64.gt (f64.load (i32.add (local.get $z) (local.get $o))) (f64.const 0)))))))
        (f64.store (i32.add (local.get $gin) (local.get $o)) (local.get $s))
        (if (local.get $hasBias)
          (then
            (local.set $sp (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $sp) (f64.add (f64.load (local.get $sp)) (local.get $s)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (if (local.get $hasBias)
      (then
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
          (local.set $sp (i32.add (local.get $gbias) (i32.shl (local.get $j) (i32.const 3))))
          (f64.store (local.get $sp) (f64.add (f64.load (local.get $sp))
            (f64.load (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))))
    (f64.add (f64x2.extract_lane 0 (local.get $nan)) (f64x2.extract_lane 1 (local.get $nan))))

  ;; a * b + c of floats (held in doubles) rounded once to float, returned as a double: C's fmaf.
  ;; simd128 has no fma. the product of two floats is exact in a double and the sum is rounded to
  ;; double; rounding that to float is the single rounding unless it landed on a float midpoint (r + 2 d
  ;; is then the other float neighbour, both steps exact). there the sum's exact error (TwoSum) moves
  ;; it to its odd neighbour toward the exact value when it is inexact and even, and a value rounded to
  ;; odd with 53 >= 24 + 2 bits rounds to float as the exact one would (src/kernels/reference/fmaf.ts)
  (func $fma1 (param $a f64) (param $b f64) (param $c f64) (result f64)
    (local $p f64) (local $s f64) (local $r f64) (local $d f64) (local $t f64) (local $bb f64) (local $e f64)
    (local $bits i64)
    (local.set $p (f64.mul (local.get $a) (local.get $b)))
    (local.set $s (f64.add (local.get $p) (local.get $c)))
    (local.set $r (f64.promote_f32 (f32.demote_f64 (local.get $s))))
    (local.set $d (f64.sub (local.get $s) (local.get $r)))
    (if (i32.or (f64.eq (local.get $d) (f64.const 0)) (f64.ne (local.get $d) (local.get $d)))
      (then (return (local.get $r))))
    ;; (r infinite with s finite: s at or past the midpoint of the largest float and 2^128: on to the error)
    (if (f64.ne (f64.abs (local.get $r)) (f64.const inf))
      (then
        (local.set $t (f64.add (local.get $r) (f64.add (local.get $d) (local.get $d))))
        (if (f64.ne (f64.promote_f32 (f32.demote_f64 (local.get $t))) (local.get $t))
          (then (return (local.get $r))))))
    (local.set $bb (f64.sub (local.get $s) (local.get $p)))
    (local.set $e (f64.add (f64.sub (local.get $p) (f64.sub (local.get $s) (local.get $bb)))
                           (f64.sub (local.get $c) (local.get $bb))))
    (if (f64.eq (local.get $e) (f64.const 0)) (then (return (local.get $r))))
    (local.set $bits (i64.reinterpret_f64 (local.get $s)))
    (if (i64.eqz (i64.and (local.get $bits) (i64.const 1)))
      (then (local.set $bits (i64.add (local.get $bits)
        (select (i64.const 1) (i64.const -1)
          (i32.eq (f64.gt (local.get $e) (f64.const 0)) (f64.gt (local.get $s) (f64.const 0))))))))
    (f64.promote_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get $bits)))))

  ;; one element of sgd_f32 at byte offset $o, each fma through $fma1: the tail, and the two lanes of
  ;; a vector step in which some sum may have landed on a float midpoint
  (func $sgd1_f32 (param $p i32) (param $g i32) (param $buf i32) (param $hasBuf i32) (param $o i32)
                  (param $flr f64) (param $wd f64) (param $fwd f64) (param $fm f64) (param $fd f64)
                  (param $nesterov i32) (param $first i32)
    (local $sp f64) (local $sg f64) (local $sb f64)
    (local.set $sp (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $o)))))
    (local.set $sg (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $o)))))
    (if (f64.ne (local.get $wd) (f64.const 0))
      (then (local.set $sg (call $fma1 (local.get $sp) (local.get $fwd) (local.get $sg)))))
    (if (local.get $hasBuf)
      (then
        (if (local.get $first)
          (then (local.set $sb (local.get $sg)))
          (else (local.set $sb (call $fma1 (local.get $sg) (local.get $fd)
            (f64.promote_f32 (f32.demote_f64 (f64.mul (local.get $fm)
              (f64.promote_f32 (f32.load (i32.add (local.get $buf) (local.get $o)))))))))))
        (f32.store (i32.add (local.get $buf) (local.get $o)) (f32.demote_f64 (local.get $sb)))
        (if (local.get $nesterov)
          (then (local.set $sg (call $fma1 (local.get $sb) (local.get $fm) (local.get $sg))))
          (else (local.set $sg (local.get $sb))))))
    (f32.store (i32.add (local.get $p) (local.get $o))
      (f32.demote_f64 (call $fma1 (local.get $sg) (local.get $flr) (local.get $sp)))))

  ;; param, grad, buf are (n) (buf used when hasBuf); torch.optim.SGD's float32 update as the
  ;; reference computes it (src/kernels/reference/sgd.ts): every add_ with an alpha a fused multiply-add
  ;; with the alpha rounded to float. F(a, b, c) is that fma; R(x) is x rounded to float.
  ;; g = F(p, wd, g) (wd != 0); b = first ? g : F(g, 1 - d, R(m buf)); g = nesterov ? F(b, m, g) : b;
  ;; p = F(g, -lr, p), with -lr, wd, m and 1 - d rounded to float.
  ;; two elements at a time, each F as R(a b + c) in doubles (a b exact), which is F unless the double
  ;; landed on a float midpoint: for a normal float, the 29 bits below its 24 exactly a half. the step
  ;; stores nothing until all its sums are checked, and where any may be a midpoint (about one sum in
  ;; 2^29), or is below the smallest normal float, 0 included (its midpoints lie elsewhere; native
  ;; flushes such results to zero, the reference does not), both go through $sgd1_f32, as the tail does.
  ;; a call per F, or $fma1's own test inline, made the update 3.6x and 2.8x slower
  (func (export "sgd_f32") (param $n i32) (param $p i32) (param $g i32) (param $buf i32) (param $hasBuf i32)
                           (param $lr f64) (param $wd f64) (param $m f64) (param $damp f64)
                           (param $nesterov i32) (param $first i32)
    (local $i i32) (local $n2 i32) (local $vp v128) (local $vg v128) (local $vb v128)
    (local $vlr v128) (local $vwd v128) (local $vm v128) (local $vd v128) (local $o i32)
    (local $flr f64) (local $fwd f64) (local $fm f64) (local $fd f64)
    (local $s v128) (local $mid v128) (local $low29 v128) (local $half v128)
    (local $minNormal v128)
    (local.set $low29 (i64x2.splat (i64.const 0x1fffffff)))
    (local.set $half (i64x2.splat (i64.const 0x10000000)))
    (local.set $minNormal (f64x2.splat (f64.const 0x1p-126)))
    (local.set $flr (f64.promote_f32 (f32.demote_f64 (f64.neg (local.get $lr)))))
    (local.set $fwd (f64.promote_f32 (f32.demote_f64 (local.get $wd))))
    (local.set $fm (f64.promote_f32 (f32.demote_f64 (local.get $m))))
    (local.set $fd (f64.promote_f32 (f32.demote_f64 (f64.sub (f64.const 1) (local.get $damp)))))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (local.set $vlr (f64x2.splat (local.get $flr)))
    (local.set $vwd (f64x2.splat (local.get $fwd)))
    (local.set $vm (f64x2.splat (local.get $fm)))
    (local.set $vd (f64x2.splat (local.get $fd)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n2)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $mid (v128.const i64x2 0 0))
      (local.set $vp (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $o)))))
      (local.set $vg (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $o)))))
      (if (f64.ne (local.get $wd) (f64.const 0))
        (then
          (local.set $s (f64x2.add (f64x2.mul (local.get $vp) (local.get $vwd)) (local.get $vg)))
          (local.set $mid (v128.or (local.get $mid) (v128.or (i64x2.eq (v128.and (local.get $s) (local.get $low29)) (local.get $half))
              (f64x2.lt (f64x2.abs (local.get $s)) (local.get $minNormal)))))
          (local.set $vg (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $s))))))
      (if (local.get $hasBuf)
        (then
          (if (local.get $first)
            (then (local.set $vb (local.get $vg)))
            (else
              (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $vm)
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $buf) (local.get $o))))))))
              (local.set $s (f64x2.add (f64x2.mul (local.get $vg) (local.get $vd)) (local.get $vb)))
              (local.set $mid (v128.or (local.get $mid) (v128.or (i64x2.eq (v128.and (local.get $s) (local.get $low29)) (local.get $half))
              (f64x2.lt (f64x2.abs (local.get $s)) (local.get $minNormal)))))
              (local.set $vb (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $s))))))
          (if (local.get $nesterov)
            (then
              (local.set $s (f64x2.add (f64x2.mul (local.get $vb) (local.get $vm)) (local.get $vg)))
              (local.set $mid (v128.or (local.get $mid) (v128.or (i64x2.eq (v128.and (local.get $s) (local.get $low29)) (local.get $half))
              (f64x2.lt (f64x2.abs (local.get $s)) (local.get $minNormal)))))
              (local.set $vg (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $s)))))
            (else (local.set $vg (local.get $vb))))))
      (local.set $s (f64x2.add (f64x2.mul (local.get $vg) (local.get $vlr)) (local.get $vp)))
      (local.set $mid (v128.or (local.get $mid) (v128.or (i64x2.eq (v128.and (local.get $s) (local.get $low29)) (local.get $half))
              (f64x2.lt (f64x2.abs (local.get $s)) (local.get $minNormal)))))
      (local.set $vg (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $s))))
      (if (v128.any_true (local.get $mid))
        (then
          (call $sgd1_f32 (local.get $p) (local.get $g) (local.get $buf) (local.get $hasBuf) (local.get $o)
            (local.get $flr) (local.get $wd) (local.get $fwd) (local.get $fm) (local.get $fd) (local.get $nesterov) (local.get $first))
          (call $sgd1_f32 (local.get $p) (local.get $g) (local.get $buf) (local.get $hasBuf) (i32.add (local.get $o) (i32.const 4))
            (local.get $flr) (local.get $wd) (local.get $fwd) (local.get $fm) (local.get $fd) (local.get $nesterov) (local.get $first)))
        (else
          (if (local.get $hasBuf)
            (then (v128.store64_lane 0 (i32.add (local.get $buf) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $vb)))))
          (v128.store64_lane 0 (i32.add (local.get $p) (local.get $o)) (f32x4.demote_f64x2_zero (local.get $vg)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then (call $sgd1_f32 (local.get $p) (local.get $g) (local.get $buf) (local.get $hasBuf) (i32.shl (local.get $i) (i32.const 2))
        (local.get $flr) (local.get $wd) (local.get $fwd) (local.get $fm) (local.get $fd) (local.get $nesterov) (local.get $first)))))

  (func (export "sgd_f64") (param $n i32) (param $p i32) (param $g i32) (param $buf i32) (param $hasBuf i32)
                           (param $lr f64) (param $wd f64) (param $m f64) (param $damp f64)
                           (param $nesterov i32) (param $first i32)
    (local $i i32) (local $n2 i32) (local $vp v128) (local $vg v128) (local $vb v128)
    (local $vlr v128) (local $vwd v128) (local $vm v128) (local $vd v128) (local $o i32)
    (local $sp f64) (local $sg f64) (local $sb f64)
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (local.set $vlr (f64x2.splat (local.get $lr)))
    (local.set $vwd (f64x2.splat (local.get $wd)))
    (local.set $vm (f64x2.splat (local.get $m)))
    (local.set $vd (f64x2.splat (f64.sub (f64.const 1) (local.get $damp))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n2)))
      (local.set $o (i32.shl (local.get $i) (i32.const 3)))
      (local.set $vp (v128.load (i32.add (local.get $p) (local.get $o))))
      (local.set $vg (v128.load (i32.add (local.get $g) (local.get $o))))
      (if (f64.ne (local.get $wd) (f64.const 0))
        (then (local.set $vg (f64x2.add (local.get $vg) (f64x2.mul (local.get $vwd) (local.get $vp))))))
      (if (local.get $hasBuf)
        (then
          (if (local.get $first)
            (then (local.set $vb (local.get $vg)))
            (else (local.set $vb (f64x2.add
              (f64x2.mul (local.get $vm) (v128.load (i32.add (local.get $buf) (local.get $o))))
              (f64x2.mul (local.get $vd) (local.get $vg))))))
          (v128.store (i32.add (local.get $buf) (local.get $o)) (local.get $vb))
          (if (local.get $nesterov)
            (then (local.set $vg (f64x2.add (local.get $vg) (f64x2.mul (local.get $vm) (local.get $vb)))))
            (else (local.set $vg (local.get $vb))))))
      (v128.store (i32.add (local.get $p) (local.get $o))
        (f64x2.sub (local.get $vp) (f64x2.mul (local.get $vlr) (local.get $vg))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (local.set $sp (f64.load (i32.add (local.get $p) (local.get $o))))
        (local.set $sg (f64.load (i32.add (local.get $g) (local.get $o))))
        (if (f64.ne (local.get $wd) (f64.const 0))
          (then (local.set $sg (f64.add (local.get $sg) (f64.mul (local.get $wd) (local.get $sp))))))
        (if (local.get $hasBuf)
          (then
            (if (local.get $first)
              (then (local.set $sb (local.get $sg)))
              (else (local.set $sb (f64.add
                (f64.mul (local.get $m) (f64.load (i32.add (local.get $buf) (local.get $o))))
                (f64.mul (f64.sub (f64.const 1) (local.get $damp)) (local.get $sg))))))
            (f64.store (i32.add (local.get $buf) (local.get $o)) (local.get $sb))
            (if (local.get $nesterov)
              (then (local.set $sg (f64.add (local.get $sg) (f64.mul (local.get $m) (local.get $sb)))))
              (else (local.set $sg (local.get $sb))))))
        (f64.store (i32.add (local.get $p) (local.get $o))
          (f64.sub (local.get $sp) (f64.mul (local.get $lr) (local.get $sg)))))))
)

# node-gyp build of the same sources as CMakeLists.txt, with the same defines.
# node-addon-api exception mode: C++ exceptions (NAPI_CPP_EXCEPTIONS), stated in both files.
# SIMD flags per file, never globally: gyp has no per-file flags, so each micro-kernel file is a
# static library of its own with only its instruction set (as set_source_files_properties does in
# CMakeLists.txt); the addon calls into it only after cpu detection.
{
  "target_defaults": {
    "include_dirs": ["native/kernels"],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_CPP_EXCEPTIONS",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
      "FFNN_COMPILER=\"GNU node-gyp\""
    ],
    "cflags!": ["-fno-exceptions", "-O2", "-O0"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0"],
    "cflags": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-pthread", "-fPIC"],
    "cflags_cc": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-fexceptions", "-std=c++17", "-pthread", "-fPIC"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=c++17"]
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1 }
    }
  },
  "targets": [
    {
      "target_name": "ffnn_avx2",
      "type": "static_library",
      "sources": ["native/kernels/gemm_avx2.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_avx512",
      "type": "static_library",
      "sources": ["native/kernels/gemm_avx512.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx512f", "-mavx2", "-mfma", "-mprfchw"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx2", "-mfma", "-mprfchw"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_bf16_avx512",
      "type": "static_library",
      "sources": ["native/kernels/gemm_bf16_avx512.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx512f", "-mavx512bw", "-mavx512bf16", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512bf16", "-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_amx",
      "type": "static_library",
      "sources": ["native/kernels/gemm_amx.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mamx-tile", "-mamx-bf16"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mamx-tile", "-mamx-bf16"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_optim_avx2",
      "type": "static_library",
      "sources": ["native/kernels/optim_avx2.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_optim_avx512",
      "type": "static_library",
      "sources": ["native/kernels/optim_avx512.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx512f", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "ffnn_dropout_avx512",
      "type": "static_library",
      "sources": ["native/kernels/dropout_avx512.cpp"],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "cflags": ["-mavx512f"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f"] }
        }]
      ]
    },
    {
      "target_name": "ffnn",
      "dependencies": ["ffnn_avx2", "ffnn_avx512", "ffnn_bf16_avx512", "ffnn_amx", "ffnn_optim_avx2", "ffnn_optim_avx512", "ffnn_dropout_avx512"],
      "sources": [
        "native/kernels/cpu.cpp",
        "native/kernels/threads.cpp",
        "native/kernels/gemm.cpp",
        "native/kernels/gemm_portable.cpp",
        "native/kernels/gemm_bf16.cpp",
        "native/kernels/activation.cpp",
        "native/kernels/linear.cpp",
        "native/kernels/losses.cpp",
        "native/kernels/optim.cpp",
        "native/kernels/optim_clip.cpp",
        "native/kernels/alloc_count.cpp",
        "native/kernels/dropout.cpp",
        "native/kernels/train_step.cpp",
        "native/binding/addon.cpp",
        "native/binding/check.cpp",
        "native/binding/kernels_binding.cpp",
        "native/binding/step_binding.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "ldflags": ["-pthread"]
    }
  ]
}

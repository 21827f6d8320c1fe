# finrst_bpf_object(NAME SOURCE [INCLUDES dir...]): compile SOURCE for the
# BPF target into ${GEN_DIR}/NAME.bpf.o and generate its libbpf skeleton
# ${GEN_DIR}/NAME.skel.h (struct NAME_bpf), behind the target NAME_skel.
# Programs that include the skeleton: add_dependencies(prog NAME_skel).
#
# The dependencies are real, so that any -j works from a clean tree:
# clang writes the headers it read into a depfile (vmlinux.h is a file of
# the repository, bpf/vmlinux/ARCH/, nothing generates it).
function(finrst_bpf_object name src)
	cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "INCLUDES")
	set(obj ${GEN_DIR}/${name}.bpf.o)
	set(skel ${GEN_DIR}/${name}.skel.h)
	set(incs -I${VMLINUX_DIR})
	foreach(d ${ARG_INCLUDES})
		list(APPEND incs -I${d})
	endforeach()
	add_custom_command(
		OUTPUT ${obj}
		COMMAND ${BPF_CLANG} -g -O2 -target bpf
			-D__TARGET_ARCH_${BPF_ARCH} -Wall -Werror ${incs}
			-MD -MF ${obj}.d -c ${src} -o ${obj}
		DEPENDS ${src} ${VMLINUX_DIR}/vmlinux.h
		DEPFILE ${obj}.d
		COMMENT "Compiling BPF object ${name}"
		VERBATIM)
	add_custom_command(
		OUTPUT ${skel}
		COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
		DEPENDS ${obj}
		COMMENT "Generating BPF skeleton ${name}"
		VERBATIM)
	add_custom_target(${name}_skel DEPENDS ${skel})
endfunction()

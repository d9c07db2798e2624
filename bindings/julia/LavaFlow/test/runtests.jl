# LavaFlow's tests, for the day they run: Julia is not installed on lavaflow's build machines,
# where bindings/julia/check_julia.py checks every ccall and struct instead (docs/julia.md).
#
#   LAVAFLOW_LIB_DIR=build/release/src julia --project=bindings/julia/LavaFlow -e 'using Pkg; Pkg.test()'
#
# LAVAFLOW_EXAMPLES_DIR (build/release/examples) adds the exchange with the C tensor_consumer.
using LavaFlow
using Test

const L = LavaFlow.LibLavaFlow

fresh_base() = mktempdir("/dev/shm"; prefix="lavaflow-julia-")

@testset "LavaFlow" begin

@testset "context, identity, scope" begin
    Context(name="julia-test", base_dir=fresh_base(), ignore_environment=true) do ctx
        @test isopen(ctx)
        @test startswith(base_dir(ctx), "/dev/shm/lavaflow-julia-")
        me = Identity(ctx)
        blob = Vector{UInt8}(me)
        @test length(blob) > 16
        copy_of_me = Identity(ctx, blob)
        scope = Scope(ctx, me, copy_of_me)
        @test level(scope) == L.LF_SCOPE_PROCESS
        @test !isempty(reason(scope))
        close(scope); close(copy_of_me); close(me)
        @test_throws LavaFlowError Identity(ctx, UInt8[1, 2, 3])   # (a blob is validated)
    end
    @test !isempty(lavaflow_version())
end

@testset "channels: arrays in and out" begin
    Context(base_dir=fresh_base(), ignore_environment=true) do ctx
        name = "julia-channel-$(getpid())"
        consumer = Consumer(ctx, name; capacity=65536, max_message_size=16384)
        producer = Producer(ctx, name)
        @test transport(producer) == "in_process"
        field = [i + 10.0j + 100.0k for i in 1:8, j in 1:6, k in 1:4]
        @test send(producer, field)
        back = zeros(8, 6, 4)
        @test recv!(consumer, back) == sizeof(field)
        @test back == field
        @test recv!(consumer, back; timeout=0) === nothing
        # zero-copy both ways
        @test reserve(producer, Int32, (3, 5)) do A
            A .= reshape(Int32.(1:15), 3, 5)
        end
        total = peek(consumer, Int32, (3, 5)) do A
            @test A[3, 5] == 15 && A[1, 2] == 4
            sum(A)
        end
        @test total == 120
        # a shape that does not fit keeps the message
        send(producer, collect(1.0:10.0))
        @test_throws ArgumentError peek(A -> nothing, consumer, Float64, (3, 3))
        @test peek(A -> A[10], consumer, Float64, (10,)) == 10.0
        # an exception inside reserve sends nothing
        @test_throws ErrorException reserve(producer, UInt8, (4,)) do A
            error("changed my mind")
        end
        @test recv(consumer; timeout=0) === nothing
        send(producer, "hello")
        @test String(recv(consumer)) == "hello"
        # refusals are LavaFlowErrors with lavaflow's message
        err = try
            send(producer, zeros(UInt8, 100_000)); nothing
        catch e
            e
        end
        @test err isa LavaFlowError && err.name == "LF_ERR_INVALID_ARGUMENT" && occursin("max_message_size", err.message)
        close_end(producer)
        @test_throws EOFError recv!(consumer, back)
        close(producer); close(consumer)
        @test_throws LavaFlowError send(producer, field)   # (closed: refused, not a crash)
    end
end

@testset "buffers" begin
    Context(base_dir=fresh_base(), ignore_environment=true) do ctx
        Buffer(ctx, 4096; kind=:shared) do buffer
            A = array(buffer, Float64, (16, 32))
            A .= 0
            A[3, 5] = 42.5
            @test array(buffer, Float64, (512,))[3 + 4 * 16] == 42.5
            @test_throws ArgumentError array(buffer, Float64, (64, 64))
        end
    end
end

@testset "tensor pool: Julia arrays as frames" begin
    Context(base_dir=fresh_base(), ignore_environment=true) do ctx
        driver = PoolDriver(ctx)
        producer = PoolProducer(ctx, 7; start_driver=false)
        consumer = PoolConsumer(ctx, 7; start_driver=false)
        set_metadata(producer, "julia frames"; units="K")
        image = Float32[i + 0.25j for i in 1:5, j in 1:7]
        publish(producer, image)
        seen = wait(consumer; timeout=2) do frame
            @test frame.seq == 0 && frame.column_major && frame.dims == [5, 7]
            @test frame.array isa Array{Float32,2} && size(frame.array) == (5, 7)
            copy(frame.array)
        end
        @test seen == image
        claim(producer, Int16, (2, 3, 4)) do A
            A .= reshape(Int16.(1:24), 2, 3, 4)
        end
        wait(consumer; timeout=2) do frame
            @test frame.array[2, 3, 4] == 24 && frame.array[1, 2, 1] == 3
        end
        @test poll(frame -> 1, consumer) === nothing
        @test metadata(consumer).name == "julia frames" && metadata(consumer).units == "K"
        @test counters(consumer).frames_read == 2
        @test_throws ArgumentError publish(producer, [1 + 2im])   # (no dtype for complex)
        close(consumer); close(producer); close(driver)
    end
end

examples = get(ENV, "LAVAFLOW_EXAMPLES_DIR", "")
if !isempty(examples)
    @testset "the C tensor_consumer reads Julia frames with their shape" begin
        base = fresh_base()
        withenv("LAVAFLOW_BASE_DIR" => base) do
            out = Pipe()
            consumer = run(pipeline(`$(joinpath(examples, "tensor_consumer")) --stream 6 --idle-ms 1500 --expect 30`;
                                    stdout=out); wait=false)
            sleep(0.5)
            Context(base_dir=base, ignore_environment=true) do ctx
                producer = PoolProducer(ctx, 6; start_driver=false, profile="frames", connect_timeout=10)
                set_metadata(producer, "julia frames")
                grid = Matrix{Float32}(undef, 1024, 1024)
                for n in 0:29
                    for c in 0:1023, r in 0:1023
                        grid[r + 1, c + 1] = Float32(n) + Float32(r) * 0.001f0 + Float32(c) * 0.000001f0
                    end
                    publish(producer, grid)
                    sleep(0.01)
                end
                wait(consumer)
                close(producer)
            end
            close(out.in)
            text = read(out, String)
            @test success(consumer)
            @test occursin("('julia frames'): read 30", text) && occursin("bad 0", text)
            @test occursin("0 row-major, 30 column-major", text)
        end
    end
end

@testset "semaphores" begin
    Context(ignore_environment=true) do ctx
        Semaphore(ctx; initial_value=2) do s
            @test current_value(s) == 2 && wait(s, 2; timeout=0)
            @test !wait(s, 3; timeout=0.01)
            signal(s, 3)
            @test wait(s, 3)
            err = try
                signal(s, 1)
                nothing
            catch e
                e
            end
            @test err isa LavaFlowError && err.name == "LF_ERR_INVALID_ARGUMENT"
            fd = export_fd(s)
            waiter = import_semaphore(ctx, fd; wait_only=true)
            ccall(:close, Cint, (Cint,), fd)
            @test semaphore_info(waiter).holders == 2
            @test_throws LavaFlowError signal(waiter, 4)
            t = Threads.@spawn wait(waiter, 4; timeout=10)
            signal(s, 4)
            @test fetch(t)
            close(waiter)
        end
        Semaphore(ctx; name="julia-semaphore") do named
            opened = open_semaphore(ctx, "julia-semaphore")
            signal(named, 1)
            @test wait(opened, 1; timeout=0)
            close(opened)
        end
        vulkan = try
            Semaphore(ctx; kind=:vulkan)
        catch e
            @test e isa LavaFlowError && e.name == "LF_ERR_UNSUPPORTED"
            Semaphore(ctx; kind=:vulkan, fallback=true)
        end
        @test semaphore_info(vulkan).kind in ("vulkan", "shared")
        close(vulkan)
    end
end

end # testset LavaFlow

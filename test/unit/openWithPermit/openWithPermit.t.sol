// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {NoReturnToken} from "../../mocks/NoReturnToken.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract OpenWithPermit_Unit_Test is Base {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    OpenParams internal p;

    function setUp() public override {
        super.setUp();
        vm.prank(renter);
        usdc.approve(address(escrow), 0);
        p = OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "permit"});
    }

    /// @dev An EIP-2612 permit by the renter's key over MockERC20's own domain.
    function signPermit(uint256 value, uint256 deadline) internal view returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(usdc.name())),
                keccak256("1"),
                block.chainid,
                address(usdc)
            )
        );
        assertEq(domain, usdc.DOMAIN_SEPARATOR(), "token domain");
        bytes32 structHash =
            keccak256(abi.encode(PERMIT_TYPEHASH, renter, address(escrow), value, usdc.nonces(renter), deadline));
        return vm.sign(renterKey, keccak256(abi.encodePacked(hex"1901", domain, structHash)));
    }

    function test_RevertWhen_OpenWouldRevert() external {
        (uint8 v, bytes32 r, bytes32 s) = signPermit(ONE_HOUR_DEPOSIT, block.timestamp);
        vm.prank(owner);
        escrow.setPaused(true);
        vm.expectRevert(Errors.GpuEscrow_Paused.selector);
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp, v, r, s);
        vm.prank(owner);
        escrow.setPaused(false);

        p.offerId = 77;
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(77)));
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp, v, r, s);
        assertEq(usdc.nonces(renter), 0, "permit unused");
    }

    function test_RevertWhen_OfferPaysInNativeCoin() external {
        vm.prank(owner);
        escrow.setTokenAllowed(address(0), true);
        uint64 nativeOffer = createOfferIn(address(0), 1e15);
        p.offerId = nativeOffer;
        p.deposit = 1e15;
        (uint8 v, bytes32 r, bytes32 s) = signPermit(1e15, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_PermitOnNativeCoin.selector, nativeOffer));
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp, v, r, s);
    }

    function test_WhenPermitValid() external {
        (uint8 v, bytes32 r, bytes32 s) = signPermit(ONE_HOUR_DEPOSIT, block.timestamp + 1 hours);
        uint256 before = usdc.balanceOf(renter);
        vm.recordLogs();
        vm.prank(renter);
        bytes32 id = escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp + 1 hours, v, r, s);
        RentalTerms memory t = openedTerms();
        assertEq(id, idOf(t));
        assertEq(usdc.nonces(renter), 1, "permit used");
        assertEq(usdc.allowance(renter, address(escrow)), 0, "exact allowance spent");
        assertEq(usdc.balanceOf(renter), before - ONE_HOUR_DEPOSIT);
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT);
        assertEq(uint8(escrow.rentalState(id).status), uint8(RentalStatus.Active));
        assertEq(activeOn(offerId), 1);
    }

    function test_WhenPermitFrontRun() external {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = signPermit(ONE_HOUR_DEPOSIT, deadline);
        // Someone saw the permit in the mempool and submitted it first.
        vm.prank(keeper);
        usdc.permit(renter, address(escrow), ONE_HOUR_DEPOSIT, deadline, v, r, s);
        assertEq(usdc.allowance(renter, address(escrow)), ONE_HOUR_DEPOSIT);
        vm.prank(renter);
        bytes32 id = escrow.openWithPermit(p, ED25519_ACCESS_KEY, deadline, v, r, s);
        assertEq(uint8(escrow.rentalState(id).status), uint8(RentalStatus.Active));
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT);
    }

    function test_WhenPermitInvalidButAllowanceSuffices() external {
        vm.prank(renter);
        usdc.approve(address(escrow), ONE_HOUR_DEPOSIT);
        (uint8 v, bytes32 r, bytes32 s) = signPermit(ONE_HOUR_DEPOSIT, block.timestamp - 1); // expired
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp - 1, v, r, s);
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT);
        assertEq(usdc.nonces(renter), 0);
    }

    function test_RevertWhen_PermitInvalidAndNoAllowance() external {
        (uint8 v, bytes32 r, bytes32 s) = signPermit(ONE_HOUR_DEPOSIT - 1, block.timestamp); // wrong value
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(escrow), 0, ONE_HOUR_DEPOSIT
            )
        );
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp, v, r, s);
    }

    function test_WhenTokenHasNoPermit() external {
        NoReturnToken usdt = new NoReturnToken();
        uint64 o = createOfferIn(address(usdt), PRICE);
        usdt.mint(renter, ONE_HOUR_DEPOSIT);
        vm.prank(renter);
        usdt.approve(address(escrow), ONE_HOUR_DEPOSIT);
        vm.prank(renter);
        bytes32 id = escrow.openWithPermit(
            OpenParams({offerId: o, deposit: ONE_HOUR_DEPOSIT, salt: "usdt"}),
            ED25519_ACCESS_KEY,
            block.timestamp,
            27,
            0,
            0
        );
        assertEq(uint8(escrow.rentalState(id).status), uint8(RentalStatus.Active));
        assertEq(usdt.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT);
    }
}
